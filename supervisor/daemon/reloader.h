// One reload, start to end: load + validate, render, apply-or-revert.
// Independent of the event loop so it is tested with fakes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "apply/applier.h"
#include "config/load.h"

namespace radflare {

struct ReloadReport {
  bool ok = false;
  std::string summary;                   // one line: "applied: restart orthanc.service"
  std::vector<std::string> diagnostics;  // config errors/warnings, FILE:LINE:COL: …
  std::string outcome;                   // "invalid config", "no change", "applied", "reverted", …
};

class Reloader {
 public:
  Reloader(std::string config_path, std::string secrets_dir, Applier& applier, HostFacts host)
      : config_path_(std::move(config_path)), secrets_dir_(std::move(secrets_dir)), applier_(applier),
        host_(std::move(host)) {}

  // Loads the TOML from disk and applies it.
  ReloadReport reload();
  // Applies the running config with a new admin password. The secret store
  // keeps the old password until the apply has succeeded, so a failed
  // rotation leaves the old one valid everywhere. Does not re-read the TOML:
  // a rotation never applies edits the operator has not reloaded yet.
  ReloadReport rotate_admin_password(const std::string& new_password);
  // The config that is running (last successful load), if any.
  const std::optional<Config>& current() const { return current_; }
  const std::string& secrets_dir() const { return secrets_dir_; }

 private:
  // `what` names the work in the journal ("reload", "password rotation").
  ReloadReport apply(const Config& config, const char* what, std::chrono::steady_clock::time_point started);

  std::string config_path_;
  std::string secrets_dir_;
  Applier& applier_;
  HostFacts host_;
  std::optional<Config> current_;
};

}  // namespace radflare
