// Reload-or-revert (after Kea): write the changed files, run the unit
// actions the table asks for, probe; on any failure put the previous files
// back, run the same actions again and report the cause. A reload whose
// rendered files equal the live ones touches nothing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apply/snapshot.h"
#include "config/config.h"
#include "plan/plan.h"
#include "plan/unit_actions.h"
#include "probe/probe.h"
#include "systemd/systemd_client.h"

namespace radflare {

struct ApplyResult {
  enum class Outcome { NoChange, Applied, Reverted, RevertFailed };
  Outcome outcome = Outcome::NoChange;
  std::vector<std::string> changed;  // paths written (or removed)
  std::vector<UnitAction> actions;   // what ran on which unit
  std::string cause;                 // why it was reverted (for the operator)

  bool ok() const { return outcome == Outcome::NoChange || outcome == Outcome::Applied; }
};

const char* to_string(ApplyResult::Outcome outcome);

struct ApplierPaths {
  std::string root = "/";                             // prefix for every live path (tests)
  std::string journal = "/var/lib/radflare/journal";  // crash-safety snapshot
};

class Applier {
 public:
  Applier(ApplierPaths paths, SystemdClient& systemd, Prober& prober, CommandRunner& commands)
      : paths_(std::move(paths)), systemd_(systemd), prober_(prober), commands_(commands) {}

  ApplyResult apply(const Plan& plan, const Config& config);

  // At start: a journal left by a killed apply means the live files may be
  // a mix of two configurations. Returns the snapshot to fall back to if the
  // next apply fails (the caller applies the config on disk first).
  std::optional<Snapshot> interrupted_apply() const { return Snapshot::load_journal(paths_.journal); }
  // Forget it once the files are consistent again.
  void settle_interrupted_apply() const { Snapshot::clear_journal(paths_.journal); }
  // When the TOML on disk cannot be applied at all (invalid): put back the
  // files as they were before the interrupted apply and restart what uses
  // them. Returns "" or what failed.
  std::string restore_interrupted(const Snapshot& snapshot);
  // When the caller starts from an interrupted apply's snapshot, a failure
  // reverts to it rather than to the mixed files.
  void revert_to(std::optional<Snapshot> snapshot) { fallback_ = std::move(snapshot); }

  const std::optional<Config>& last_applied() const { return last_config_; }

 private:
  std::string run_actions(const std::vector<UnitAction>& actions);
  std::string run_unit_states(const Config& config);
  std::string check_nginx(const std::vector<std::string>& changed);
  std::string probe(const Config& config);
  ApplyResult revert(ApplyResult result, const Snapshot& before, const std::vector<UnitAction>& actions,
                     bool units_touched, bool unit_states_changed);

  ApplierPaths paths_;
  SystemdClient& systemd_;
  Prober& prober_;
  CommandRunner& commands_;
  std::optional<Config> last_config_;
  std::vector<std::string> last_paths_;  // files the last applied plan owns
  std::optional<Snapshot> fallback_;
};

}  // namespace radflare
