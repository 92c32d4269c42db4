#include "plan/unit_actions.h"

#include <fnmatch.h>

#include <algorithm>
#include <stdexcept>

namespace radflare {

namespace {
// Units in the order actions must run: PostgreSQL before the role/database
// set-up that needs it, both before Orthanc that connects, nginx last so it
// never proxies to a half-started Orthanc longer than needed.
const std::vector<std::string> kUnitOrder = {"postgresql.service", "radflare-db-setup.service",
                                             "orthanc.service", "nginx.service"};
}  // namespace

const std::vector<ActionRule>& action_rules() {
  static const std::vector<ActionRule> rules = {
      {"/etc/radflare/orthanc/*", "orthanc.service", Action::Restart,
       "Orthanc reads its configuration only at start"},
      {"/etc/radflare/orthanc.env", "orthanc.service", Action::Restart,
       "the plugin environment is fixed when the process starts"},
      {"/etc/nginx/conf.d/radflare.conf", "nginx.service", Action::Reload,
       "nginx reloads gracefully: open connections finish on the old workers"},
      {"/etc/nginx/radflare-users.conf", "nginx.service", Action::Reload,
       "people's credentials live only in nginx: rotation never restarts Orthanc"},
      {"/etc/nginx/radflare-upstream-auth.conf", "nginx.service", Action::Reload, "nginx's credential toward Orthanc"},
      {"/etc/radflare/ohif/*", "", Action::None, "served with no-cache: browsers pick it up on their next load"},
      {"/etc/postgresql/*/main/conf.d/radflare-reload.conf", "postgresql.service", Action::Reload,
       "settings PostgreSQL applies on SIGHUP"},
      {"/etc/postgresql/*/main/conf.d/radflare-restart.conf", "postgresql.service", Action::Restart,
       "settings PostgreSQL reads only at start (shared_buffers, port, listen_addresses, max_connections)"},
      {"/etc/radflare/postgresql-bootstrap.sql", "radflare-db-setup.service", Action::Restart,
       "re-run the idempotent role/database set-up (e.g. a new password)"},
  };
  return rules;
}

const ActionRule& rule_for(const std::string& path) {
  for (const auto& r : action_rules())
    if (::fnmatch(r.pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) return r;
  throw std::out_of_range("no unit-action rule for " + path);
}

std::vector<UnitAction> actions_for(const std::vector<std::string>& changed_paths) {
  std::vector<UnitAction> out;
  for (const auto& path : changed_paths) {
    const ActionRule& r = rule_for(path);
    if (r.action == Action::None) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const UnitAction& a) { return a.unit == r.unit; });
    if (it == out.end())
      out.push_back({r.unit, r.action});
    else
      it->action = std::max(it->action, r.action);
  }
  auto rank = [](const UnitAction& a) {
    return std::find(kUnitOrder.begin(), kUnitOrder.end(), a.unit) - kUnitOrder.begin();
  };
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return out;
}

const char* to_string(Action action) {
  switch (action) {
    case Action::None: return "none";
    case Action::Reload: return "reload";
    case Action::Restart: return "restart";
  }
  return "?";
}

}  // namespace radflare
