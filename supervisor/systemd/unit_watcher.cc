#include "systemd/unit_watcher.h"

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace radflare {

struct UnitWatcher::Watch {
  UnitWatcher* owner;
  std::string unit;
  std::string path;
  sd_bus_slot* slot = nullptr;
  ~Watch() { sd_bus_slot_unref(slot); }
};

namespace {

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kUnitInterface = "org.freedesktop.systemd1.Unit";

int on_properties_changed(sd_bus_message*, void* userdata, sd_bus_error*) {
  auto* w = static_cast<UnitWatcher::Watch*>(userdata);
  w->owner->refresh(w->unit, w->path);
  return 0;
}

std::string property(sd_bus* bus, const std::string& path, const char* name) {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  char* value = nullptr;
  int r = sd_bus_get_property_string(bus, kService, path.c_str(), kUnitInterface, name, &error, &value);
  sd_bus_error_free(&error);
  if (r < 0) return "unknown";
  std::string out(value);
  std::free(value);
  return out;
}

}  // namespace

UnitWatcher::UnitWatcher(UnitModel& model, std::function<void()> on_change)
    : model_(model), on_change_(std::move(on_change)) {}

UnitWatcher::~UnitWatcher() {
  watches_.clear();
  if (bus_) sd_bus_flush_close_unref(bus_);
}

void UnitWatcher::refresh(const std::string& unit, const std::string& object_path) {
  model_.observe(unit, property(bus_, object_path, "ActiveState"), property(bus_, object_path, "SubState"),
                 static_cast<int64_t>(std::time(nullptr)));
  if (on_change_) on_change_();
}

std::string UnitWatcher::start(sd_bus* bus, sd_event* event, const std::vector<std::string>& units) {
  bus_ = bus;
  int r = sd_bus_attach_event(bus_, event, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0) return std::string("cannot attach the bus to the event loop: ") + std::strerror(-r);
  for (const auto& unit : units) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    // LoadUnit (unlike GetUnit) also answers for a unit that is not loaded yet.
    r = sd_bus_call_method(bus_, kService, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                           "LoadUnit", &error, &reply, "s", unit.c_str());
    sd_bus_error_free(&error);
    if (r < 0) continue;
    const char* path = nullptr;
    sd_bus_message_read(reply, "o", &path);
    auto w = std::make_unique<Watch>();
    w->owner = this;
    w->unit = unit;
    w->path = path;
    sd_bus_message_unref(reply);
    r = sd_bus_match_signal(bus_, &w->slot, kService, w->path.c_str(), "org.freedesktop.DBus.Properties",
                            "PropertiesChanged", on_properties_changed, w.get());
    if (r < 0) return "cannot watch " + unit + ": " + std::strerror(-r);
    refresh(w->unit, w->path);
    watches_.push_back(std::move(w));
  }
  return "";
}

}  // namespace radflare
