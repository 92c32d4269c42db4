// A child process with a deadline (certbot): the supervisor's event loop is
// single-threaded, so an ACME client that hangs (a CA that accepts the
// connection and never answers) must not hold it for long. The child runs in
// its own process group; at the deadline the group gets SIGTERM, 5 s later
// SIGKILL. While waiting, the loop's systemd watchdog is kept fed.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace radflare::acme {

struct ChildResult {
  int exit_code = -1;      // -1: killed, timed out or could not start
  bool timed_out = false;
  std::string output;      // stdout and stderr together (the last 64 KiB)
};

class ChildRunner {
 public:
  virtual ~ChildRunner() = default;
  // env: variables added to (or replacing) the supervisor's environment.
  virtual ChildResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          std::chrono::milliseconds deadline) = 0;
};

class RealChildRunner final : public ChildRunner {
 public:
  ChildResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                  std::chrono::milliseconds deadline) override;
};

}  // namespace radflare::acme
