// Work the daemon does on a schedule (password rotation, certificate
// renewal, …). The event loop keeps one wall-clock timer per task: a task
// says when it wants to run next, as seconds since the epoch, so a due date
// stored on disk survives reboots (a rotation due while the machine was off
// runs right after boot).
#pragma once

#include <ctime>
#include <string>

namespace radflare {

class DaemonTask {
 public:
  virtual ~DaemonTask() = default;
  virtual std::string name() const = 0;
  // When the task next wants to run (0: not scheduled). Asked again after
  // every run and after every reload, since the schedule may depend on the config.
  virtual time_t next_due(time_t now) = 0;
  // Runs the task; the loop calls it at or after next_due().
  virtual void run(time_t now) = 0;
};

}  // namespace radflare
