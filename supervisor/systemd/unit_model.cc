#include "systemd/unit_model.h"

namespace radflare {

UnitModel::UnitModel(std::vector<std::string> units) : order_(std::move(units)) {
  for (const auto& u : order_) units_[u].unit = u;
}

void UnitModel::note(const std::string& unit, const std::string& what, int64_t now) {
  incidents_.push_back({now, unit, what});
  while (incidents_.size() > kMaxIncidents) incidents_.pop_front();
}

void UnitModel::observe(const std::string& unit, const std::string& active, const std::string& sub, int64_t now) {
  auto it = units_.find(unit);
  if (it == units_.end()) return;
  UnitState& s = it->second;
  if (s.active_state == active && s.sub_state == sub) return;
  const std::string before = s.active_state;
  const bool first = before == "unknown";
  // What changed, in an operator's words. The first observation is the
  // starting point, not an incident.
  if (!first) {
    if (active == "failed")
      note(unit, "failed (" + sub + ")", now);
    else if (sub == "auto-restart")
      note(unit, "died; systemd restarts it", now);
    else if (active == "active" && (before == "activating" || before == "failed" || before == "inactive"))
      note(unit, "active again", now);
    else if (active == "inactive" && before == "active")
      note(unit, "stopped", now);
    // A restart: systemd's own (auto-restart), or a stop that goes straight
    // on to a start (RestartUnit). A start after "inactive" is not one.
    const bool entering_activating = active == "activating" && before != "activating";
    if (entering_activating && (before == "active" || before == "deactivating")) ++s.restarts;
  }
  s.active_state = active;
  s.sub_state = sub;
  s.since = now;
}

std::vector<UnitState> UnitModel::units() const {
  std::vector<UnitState> out;
  for (const auto& u : order_) out.push_back(units_.at(u));
  return out;
}

}  // namespace radflare
