// Is the appliance serving after an apply? Each probe answers for one
// component; the apply engine reverts when one keeps failing.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace radflare {

struct ProbeResult {
  std::string component;  // "orthanc", "postgresql", "nginx"
  bool ok = false;
  std::string detail;     // what was seen, for the operator (never a secret)
};

class Prober {
 public:
  virtual ~Prober() = default;
  // Probe every component `config` runs, retrying each until it answers or
  // its deadline passes (a restarted Orthanc takes seconds to listen).
  virtual std::vector<ProbeResult> probe(const Config& config) = 0;
};

// Runs a program and returns its exit status with its output (e.g. nginx -t).
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual int run(const std::vector<std::string>& argv, std::string& output) = 0;
};

}  // namespace radflare
