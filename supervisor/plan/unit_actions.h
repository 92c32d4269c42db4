// Which change needs which unit action: one table (unit_actions.cc), not ifs
// scattered through the code. A reload that only touches OHIF's app-config
// restarts nothing; a CORS change reloads nginx; an AET change restarts
// Orthanc alone.
#pragma once

#include <string>
#include <vector>

namespace radflare {

enum class Action { None, Reload, Restart };

struct UnitAction {
  std::string unit;  // "orthanc.service"
  Action action;
};

struct ActionRule {
  std::string pattern;  // fnmatch(3) pattern of rendered paths
  std::string unit;     // "" = no unit cares (served fresh on every request)
  Action action;
  std::string why;
};

const std::vector<ActionRule>& action_rules();

// The rule for one rendered path; throws std::out_of_range when no rule
// matches (every rendered file must be in the table).
const ActionRule& rule_for(const std::string& path);

// The unit actions the changed paths need: one per unit (restart wins over
// reload), in dependency order (database, then Orthanc, then nginx).
std::vector<UnitAction> actions_for(const std::vector<std::string>& changed_paths);

const char* to_string(Action action);

}  // namespace radflare
