// Feeds a UnitModel from systemd: the current ActiveState/SubState of each
// unit at start, then every PropertiesChanged signal, on a bus connection
// attached to the supervisor's sd-event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "systemd/unit_model.h"

struct sd_bus;
struct sd_event;

namespace radflare {

class UnitWatcher {
 public:
  // `on_change` runs after each observation (e.g. to publish the state).
  UnitWatcher(UnitModel& model, std::function<void()> on_change);
  ~UnitWatcher();
  UnitWatcher(const UnitWatcher&) = delete;
  UnitWatcher& operator=(const UnitWatcher&) = delete;

  // Connect to `bus` (taken over), attach it to `event`, watch `units`.
  // Returns "" or what failed.
  std::string start(sd_bus* bus, sd_event* event, const std::vector<std::string>& units);

  // Read one unit's state now (also used by the signal handler).
  void refresh(const std::string& unit, const std::string& object_path);

  struct Watch;  // one watched unit (public for the C callback)

 private:
  UnitModel& model_;
  std::function<void()> on_change_;
  sd_bus* bus_ = nullptr;
  std::vector<std::unique_ptr<Watch>> watches_;
};

}  // namespace radflare
