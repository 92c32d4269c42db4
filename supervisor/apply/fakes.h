// In-memory stand-ins for systemd, the probes and nginx -t (tests only).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "probe/probe.h"
#include "systemd/systemd_client.h"

namespace radflare::testing {

class FakeSystemd final : public SystemdClient {
 public:
  std::vector<std::string> calls;           // "RestartUnit orthanc.service"
  std::map<std::string, std::string> fail;  // "RestartUnit orthanc.service" -> result

  JobOutcome job(const std::string& method, const std::string& unit) override {
    calls.push_back(method + " " + unit);
    auto it = fail.find(method + " " + unit);
    if (it != fail.end()) return {false, it->second, ""};
    return {true, "done", ""};
  }
  JobOutcome enable(const std::string& unit, bool enabled) override {
    calls.push_back(std::string(enabled ? "Enable " : "Disable ") + unit);
    return {true, "done", ""};
  }
};

// Answers from a script: each call to probe() pops the next verdict
// ("" = all healthy, else the failing component's detail); healthy when empty.
class FakeProber final : public Prober {
 public:
  std::vector<std::string> verdicts;
  int calls = 0;

  std::vector<ProbeResult> probe(const Config&) override {
    ++calls;
    std::string v;
    if (!verdicts.empty()) {
      v = verdicts.front();
      verdicts.erase(verdicts.begin());
    }
    if (v.empty()) return {{"orthanc", true, "200"}};
    return {{"orthanc", false, v}};
  }
};

class FakeCommands final : public CommandRunner {
 public:
  int nginx_status = 0;
  std::vector<std::string> ran;
  int run(const std::vector<std::string>& argv, std::string& output) override {
    ran.push_back(argv.at(0));
    output = nginx_status ? "nginx: [emerg] unexpected \"}\"" : "";
    return nginx_status;
  }
};

}  // namespace radflare::testing
