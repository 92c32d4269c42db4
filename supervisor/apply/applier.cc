#include "apply/applier.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "plan/diff.h"
#include "plan/write.h"

namespace radflare {

namespace {

bool is_nginx_file(const std::string& path) { return rule_for(path).unit == "nginx.service"; }

const char* method_for(Action a) { return a == Action::Reload ? "ReloadUnit" : "RestartUnit"; }

}  // namespace

const char* to_string(ApplyResult::Outcome outcome) {
  switch (outcome) {
    case ApplyResult::Outcome::NoChange: return "no change";
    case ApplyResult::Outcome::Applied: return "applied";
    case ApplyResult::Outcome::Reverted: return "reverted";
    case ApplyResult::Outcome::RevertFailed: return "revert failed";
  }
  return "?";
}

ApplyResult Applier::apply(const Plan& plan, const Config& config) {
  ApplyResult result;
  std::set<std::string> now;
  for (const auto& f : plan.files) now.insert(f.path);
  for (const auto& c : diff_plan(plan, paths_.root)) result.changed.push_back(c.path);
  // Files the previous plan wrote that this one does not (a plugin turned
  // off): removed, and their removal counts as a change.
  std::vector<std::string> stale;
  for (const auto& p : last_paths_)
    if (!now.count(p)) stale.push_back(p);
  for (const auto& p : stale) result.changed.push_back(p);

  const bool units_change = !last_config_ || last_config_->database.mode != config.database.mode;
  if (result.changed.empty() && !units_change && !fallback_) {
    last_config_ = config;
    last_paths_.assign(now.begin(), now.end());
    return result;  // NoChange: nothing written, no unit touched
  }

  Snapshot before = Snapshot::capture(paths_.root, result.changed);
  before.save_journal(paths_.journal);
  for (const auto& f : plan.files)
    if (std::find(result.changed.begin(), result.changed.end(), f.path) != result.changed.end())
      write_plan(Plan{{f}}, {paths_.root, true});
  for (const auto& p : stale) ::unlink(under_root(paths_.root, p).c_str());
  // After an interrupted apply (revert_to), the files it wrote may be on
  // disk already, unchanged now, while their units still run the ones from
  // before: their restarts and reloads are owed too.
  std::vector<std::string> act_on = result.changed;
  if (fallback_)
    for (const auto& [path, state] : fallback_->files())
      if (std::find(act_on.begin(), act_on.end(), path) == act_on.end()) act_on.push_back(path);
  result.actions = actions_for(act_on);
  result.outcome = ApplyResult::Outcome::Applied;

  // nginx checks its own files before anything reloads: a bad nginx config
  // is caught while every unit still runs the old one.
  if (auto problem = check_nginx(act_on); !problem.empty()) {
    result.cause = problem;
    return revert(std::move(result), before, {}, false, false);
  }
  std::string problem = units_change ? run_unit_states(config) : "";
  if (problem.empty()) problem = run_actions(result.actions);
  if (problem.empty()) problem = probe(config);
  if (!problem.empty()) {
    result.cause = problem;
    const auto actions = result.actions;
    return revert(std::move(result), before, actions, true, units_change);
  }
  Snapshot::clear_journal(paths_.journal);
  fallback_.reset();
  last_config_ = config;
  last_paths_.assign(now.begin(), now.end());
  return result;
}

std::string Applier::restore_interrupted(const Snapshot& snapshot) {
  snapshot.restore(paths_.root);
  std::vector<std::string> touched;
  for (const auto& [path, state] : snapshot.files()) touched.push_back(path);
  Snapshot::clear_journal(paths_.journal);
  fallback_.reset();
  return run_actions(actions_for(touched));
}

std::string Applier::check_nginx(const std::vector<std::string>& changed) {
  if (std::none_of(changed.begin(), changed.end(), is_nginx_file)) return "";
  std::string output;
  if (commands_.run({"nginx", "-t", "-q"}, output) == 0) return "";
  // One line for the journal and the status page: nginx's lines joined.
  std::string oneline;
  for (char c : output) oneline += c == '\n' ? ' ' : c;
  while (!oneline.empty() && oneline.back() == ' ') oneline.pop_back();
  return "nginx rejected the new configuration: " + oneline;
}

std::string Applier::run_unit_states(const Config& config) {
  // The local PostgreSQL runs only when the database is local.
  const bool local = config.database.mode == DatabaseMode::Local;
  for (const char* unit : {"postgresql.service"}) {
    JobOutcome e = systemd_.enable(unit, local);
    if (!e.ok) return std::string(local ? "enabling " : "disabling ") + unit + " failed: " + e.describe();
    JobOutcome j = systemd_.job(local ? "StartUnit" : "StopUnit", unit);
    if (!j.ok) return std::string(local ? "starting " : "stopping ") + unit + " failed: " + j.describe();
  }
  return "";
}

std::string Applier::run_actions(const std::vector<UnitAction>& actions) {
  for (const auto& a : actions) {
    spdlog::info("{} {}", to_string(a.action), a.unit);
    JobOutcome j = systemd_.job(method_for(a.action), a.unit);
    if (!j.ok) return std::string(to_string(a.action)) + " of " + a.unit + " failed: " + j.describe();
  }
  return "";
}

std::string Applier::probe(const Config& config) {
  std::string problems;
  for (const auto& r : prober_.probe(config))
    if (!r.ok) problems += (problems.empty() ? "" : "; ") + r.component + " is not answering: " + r.detail;
  return problems;
}

ApplyResult Applier::revert(ApplyResult result, const Snapshot& before, const std::vector<UnitAction>& actions,
                            bool units_touched, bool unit_states_changed) {
  spdlog::error("reload failed, reverting to the previous configuration: {}", result.cause);
  const Snapshot& target = fallback_ ? *fallback_ : before;
  target.restore(paths_.root);
  std::string problem;
  if (units_touched) {
    // The same actions again bring the units back onto the restored files;
    // unit states (local PostgreSQL on/off) go back to the last applied ones.
    if (unit_states_changed && last_config_) problem = run_unit_states(*last_config_);
    if (problem.empty()) problem = run_actions(actions);
    if (problem.empty() && last_config_) problem = probe(*last_config_);
  }
  Snapshot::clear_journal(paths_.journal);
  fallback_.reset();
  result.outcome = problem.empty() ? ApplyResult::Outcome::Reverted : ApplyResult::Outcome::RevertFailed;
  if (!problem.empty()) result.cause += "; then the revert failed too: " + problem;
  return result;
}

}  // namespace radflare
