#include "systemd/sdbus_client.h"

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>

namespace radflare {

namespace {

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

std::string errno_text(int r) { return std::strerror(-r); }

// RAII for the sd-bus objects used here.
struct ErrorGuard {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~ErrorGuard() { sd_bus_error_free(&e); }
  std::string text(int r) const { return e.message ? e.message : errno_text(r); }
};
struct MessageGuard {
  sd_bus_message* m = nullptr;
  ~MessageGuard() { sd_bus_message_unref(m); }
};
struct SlotGuard {
  sd_bus_slot* s = nullptr;
  ~SlotGuard() { sd_bus_slot_unref(s); }
};

// Every JobRemoved seen while waiting: job path -> result.
int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* seen = static_cast<std::map<std::string, std::string>*>(userdata);
  uint32_t id = 0;
  const char *job = nullptr, *unit = nullptr, *result = nullptr;
  if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0) (*seen)[job] = result;
  return 0;
}

}  // namespace

std::unique_ptr<SdBusSystemd> SdBusSystemd::system_bus() {
  sd_bus* bus = nullptr;
  int r = sd_bus_open_system(&bus);
  if (r < 0) throw std::runtime_error("cannot connect to the system bus: " + errno_text(r));
  return std::unique_ptr<SdBusSystemd>(new SdBusSystemd(bus));
}

std::unique_ptr<SdBusSystemd> SdBusSystemd::at_address(const std::string& address) {
  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r >= 0) r = sd_bus_set_address(bus, address.c_str());
  if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
  if (r >= 0) r = sd_bus_start(bus);
  if (r < 0) {
    sd_bus_unref(bus);
    throw std::runtime_error("cannot connect to " + address + ": " + errno_text(r));
  }
  return std::unique_ptr<SdBusSystemd>(new SdBusSystemd(bus));
}

SdBusSystemd::~SdBusSystemd() { sd_bus_flush_close_unref(bus_); }

std::string SdBusSystemd::subscribe() {
  if (subscribed_) return "";
  ErrorGuard error;
  int r = sd_bus_call_method(bus_, kService, kPath, kManager, "Subscribe", &error.e, nullptr, "");
  if (r < 0) return "Subscribe failed: " + error.text(r);
  subscribed_ = true;
  return "";
}

JobOutcome SdBusSystemd::job(const std::string& method, const std::string& unit) {
  if (auto problem = subscribe(); !problem.empty()) return {false, "", problem};
  std::map<std::string, std::string> seen;
  SlotGuard match;
  int r = sd_bus_match_signal(bus_, &match.s, kService, kPath, kManager, "JobRemoved", on_job_removed, &seen);
  if (r < 0) return {false, "", "cannot watch JobRemoved: " + errno_text(r)};

  ErrorGuard error;
  MessageGuard reply;
  r = sd_bus_call_method(bus_, kService, kPath, kManager, method.c_str(), &error.e, &reply.m, "ss", unit.c_str(),
                         "replace");
  if (r < 0) return {false, "", method + " " + unit + ": " + error.text(r)};
  const char* job_path = nullptr;
  r = sd_bus_message_read(reply.m, "o", &job_path);
  if (r < 0) return {false, "", "unexpected reply to " + method + ": " + errno_text(r)};
  const std::string job(job_path);

  const uint64_t deadline_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch() +
                                                            job_timeout)
          .count());
  while (!seen.count(job)) {
    r = sd_bus_process(bus_, nullptr);
    if (r < 0) return {false, "", "lost the bus while waiting for " + unit + ": " + errno_text(r)};
    if (r > 0) continue;
    const uint64_t now = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
    if (now >= deadline_us) return {false, "timeout", ""};
    sd_notify(0, "WATCHDOG=1");  // a slow job is not a hung supervisor
    sd_bus_wait(bus_, std::min<uint64_t>(deadline_us - now, 5000000));
  }
  const std::string result = seen[job];
  return {result == "done", result, ""};
}

JobOutcome SdBusSystemd::enable(const std::string& unit, bool enabled) {
  {
    // Already as wanted: no change, and above all no daemon-reload.
    ErrorGuard error;
    MessageGuard reply;
    const char* state = nullptr;
    if (sd_bus_call_method(bus_, kService, kPath, kManager, "GetUnitFileState", &error.e, &reply.m, "s",
                           unit.c_str()) >= 0 &&
        sd_bus_message_read(reply.m, "s", &state) >= 0) {
      const std::string s(state);
      const bool is_enabled = s == "enabled" || s == "enabled-runtime" || s == "static" || s == "alias";
      if (is_enabled == enabled) return {true, "done", ""};
    }
  }
  ErrorGuard error;
  MessageGuard call;
  int r = sd_bus_message_new_method_call(bus_, &call.m, kService, kPath, kManager,
                                         enabled ? "EnableUnitFiles" : "DisableUnitFiles");
  if (r >= 0) r = sd_bus_message_append(call.m, "as", 1, unit.c_str());
  if (r >= 0) r = enabled ? sd_bus_message_append(call.m, "bb", 0, 1) : sd_bus_message_append(call.m, "b", 0);
  if (r < 0) return {false, "", "cannot build the call: " + errno_text(r)};
  MessageGuard reply;
  r = sd_bus_call(bus_, call.m, 0, &error.e, &reply.m);
  if (r < 0) return {false, "", (enabled ? "enabling " : "disabling ") + unit + ": " + error.text(r)};
  // Make systemd see the changed symlinks.
  r = sd_bus_call_method(bus_, kService, kPath, kManager, "Reload", &error.e, nullptr, "");
  if (r < 0) return {false, "", "daemon-reload after enabling " + unit + ": " + error.text(r)};
  return {true, "done", ""};
}

}  // namespace radflare
