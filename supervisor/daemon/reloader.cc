#include "daemon/reloader.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "render/render.h"
#include "secrets/store.h"

namespace radflare {

ReloadReport Reloader::reload() {
  const auto started = std::chrono::steady_clock::now();
  ReloadReport report;
  RealFileAccess files;
  SecretStore store(secrets_dir_, false);
  LoadContext context{host_, files, store};
  LoadResult loaded = load_config_file(config_path_, context);
  for (const auto& d : loaded.diagnostics) {
    report.diagnostics.push_back(d.format());
    if (d.severity == Diagnostic::Severity::Error)
      spdlog::error("{}", d.format());
    else
      spdlog::warn("{}", d.format());
  }
  if (!loaded.config) {
    report.outcome = "invalid config";
    const size_t n = report.diagnostics.size();
    report.summary = config_path_ + " is not valid (" + std::to_string(n) + (n == 1 ? " problem" : " problems") +
                     "); nothing was changed";
    return report;
  }
  store.commit();  // first use of a secret: it exists from now on
  ReloadReport applied = apply(*loaded.config, "reload", started);
  applied.diagnostics = std::move(report.diagnostics);
  // What runs now: the new config, or, after a revert, still the previous one.
  if (applied.ok) current_ = std::move(loaded.config);
  return applied;
}

ReloadReport Reloader::rotate_admin_password(const std::string& new_password) {
  const auto started = std::chrono::steady_clock::now();
  if (!current_) return {false, "no valid configuration is running yet; nothing was changed", {}, "invalid config"};
  Config next = *current_;
  next.admin.password = Secret(new_password);
  ReloadReport report = apply(next, "password rotation", started);
  if (!report.ok) return report;
  // Only now does the store learn the new password. A crash between the
  // apply and this line leaves the store with the old one, and the next
  // start renders the old one again: never a password nobody can know.
  SecretStore(secrets_dir_, true).put("admin-password", new_password);
  current_ = std::move(next);
  return report;
}

ReloadReport Reloader::apply(const Config& config, const char* what, std::chrono::steady_clock::time_point started) {
  ReloadReport report;
  Plan plan;
  try {
    plan = render_plan(config);
  } catch (const std::exception& e) {  // a renderer's last line of defence against unsafe values
    report.outcome = "invalid config";
    report.summary = std::string("cannot render: ") + e.what() + "; nothing was changed";
    return report;
  }
  ApplyResult applied = applier_.apply(plan, config);
  report.ok = applied.ok();
  report.outcome = to_string(applied.outcome);
  report.summary = report.outcome;
  if (applied.outcome != ApplyResult::Outcome::NoChange) {
    report.summary += " (" + std::to_string(applied.changed.size()) + " files changed)";
    for (size_t i = 0; i < applied.actions.size(); ++i)
      report.summary += (i ? ", " : ": ") + std::string(to_string(applied.actions[i].action)) + " " +
                        applied.actions[i].unit;
    if (applied.actions.empty()) report.summary += ": no unit needed a restart";
  }
  if (!applied.cause.empty()) report.summary += " (" + applied.cause + ")";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  report.summary += " in " + std::to_string(ms.count()) + " ms";
  (report.ok ? spdlog::info("{} {}", what, report.summary) : spdlog::error("{} {}", what, report.summary));
  return report;
}

}  // namespace radflare
