// The supervisor's live picture of the units it manages, fed by systemd's
// PropertiesChanged signals (systemd/unit_watcher.cc), with the incidents an
// operator wants to know about: a unit failed, restarted, came back.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace radflare {

struct UnitState {
  std::string unit;
  std::string active_state = "unknown";  // active, reloading, inactive, failed, activating, deactivating
  std::string sub_state = "unknown";     // running, dead, exited, auto-restart, …
  int64_t since = 0;                     // unix time of the last state change
  int restarts = 0;                      // restarts seen since the supervisor started
};

struct Incident {
  int64_t time = 0;  // unix time
  std::string unit;
  std::string what;  // "failed (sub-state exit-code)", "restarted", "stopped", …
};

class UnitModel {
 public:
  explicit UnitModel(std::vector<std::string> units);

  // A new observation of `unit` (unknown units are ignored).
  void observe(const std::string& unit, const std::string& active_state, const std::string& sub_state, int64_t now);
  void note(const std::string& unit, const std::string& what, int64_t now);  // e.g. "reload failed: …"

  std::vector<UnitState> units() const;
  const std::deque<Incident>& incidents() const { return incidents_; }

  static constexpr size_t kMaxIncidents = 200;

 private:
  std::map<std::string, UnitState> units_;
  std::vector<std::string> order_;
  std::deque<Incident> incidents_;
};

}  // namespace radflare
