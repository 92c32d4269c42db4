// A child process with a deadline (certbot, the PostgreSQL probe): the
// supervisor's event loop is single-threaded, so an ACME client that hangs (a
// CA that accepts the connection and never answers) must not hold it for
// long. The child runs in its own process group; at the deadline the group
// gets SIGTERM, 5 s later SIGKILL. While waiting on the event loop, the
// systemd watchdog is kept fed; a runner on another thread (the status
// page's probes) must not feed it, or it would hide a hung loop.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace radflare {

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
  explicit RealChildRunner(bool feed_watchdog = true) : feed_watchdog_(feed_watchdog) {}
  ChildResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                  std::chrono::milliseconds deadline) override;

 private:
  bool feed_watchdog_;
};

}  // namespace radflare
