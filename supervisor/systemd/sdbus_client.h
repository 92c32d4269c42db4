// SystemdClient over sd-bus: the real systemd's Manager API.
//
// A job is awaited the race-free way: subscribe, add the JobRemoved match
// BEFORE calling StartUnit/RestartUnit/ReloadUnit, then wait for the signal
// carrying the job path the call returned (HARNESS.md section 6).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "systemd/systemd_client.h"

struct sd_bus;

namespace radflare {

class SdBusSystemd final : public SystemdClient {
 public:
  // The system bus (the supervisor on the appliance).
  static std::unique_ptr<SdBusSystemd> system_bus();
  // Any bus address (tests run a private dbus-daemon).
  static std::unique_ptr<SdBusSystemd> at_address(const std::string& address);

  ~SdBusSystemd() override;
  SdBusSystemd(const SdBusSystemd&) = delete;
  SdBusSystemd& operator=(const SdBusSystemd&) = delete;

  JobOutcome job(const std::string& method, const std::string& unit) override;
  JobOutcome enable(const std::string& unit, bool enabled) override;

  // How long a job may take before we stop waiting (Orthanc on a big
  // database can take minutes to stop).
  std::chrono::seconds job_timeout{300};

 private:
  explicit SdBusSystemd(sd_bus* bus) : bus_(bus) {}
  std::string subscribe();

  sd_bus* bus_;
  bool subscribed_ = false;
};

}  // namespace radflare
