// The narrow view of systemd the supervisor needs: run a job on a unit and
// wait for its result. The real client talks sd-bus (systemd/sdbus_client.cc);
// tests use a fake.
#pragma once

#include <string>

namespace radflare {

struct JobOutcome {
  bool ok = false;
  std::string result;  // systemd's job result: done, failed, canceled, timeout, dependency, skipped
  std::string error;   // a D-Bus error, when the job could not even be queued

  std::string describe() const { return error.empty() ? result : error; }
};

class SystemdClient {
 public:
  virtual ~SystemdClient() = default;
  // method: "StartUnit", "StopUnit", "RestartUnit", "ReloadUnit" (mode "replace").
  virtual JobOutcome job(const std::string& method, const std::string& unit) = 0;
  // Enable or disable a unit file (for units the configuration turns on or off).
  virtual JobOutcome enable(const std::string& unit, bool enabled) = 0;
};

}  // namespace radflare
