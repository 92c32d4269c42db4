// The people's admin password: rotated every admin.rotation_days and on
// demand (`radflare rotate-password`).
//
// Only nginx checks it (Orthanc knows just the internal proxy user), so a
// rotation is one render with the new password and an nginx reload: no
// Orthanc restart, other users' sessions and DICOM untouched. The new
// password reaches the secret store only once the apply succeeded.
//
// The time of the last rotation is kept on disk, so the schedule survives
// reboots: a rotation due while the machine was off runs soon after boot.
#pragma once

#include <ctime>
#include <string>

#include "daemon/control.h"
#include "daemon/reloader.h"
#include "daemon/status_board.h"
#include "daemon/task.h"

namespace radflare {

class PasswordRotation final : public DaemonTask {
 public:
  // record_path: a small JSON file with the time of the last rotation.
  PasswordRotation(Reloader& reloader, StatusBoard& board, std::string record_path);

  std::string name() const override { return "admin password rotation"; }
  time_t next_due(time_t now) override;
  void run(time_t now) override;
  ControlAnswer rotate_now(time_t now);  // `radflare rotate-password`
  void publish();                        // the "admin" section of the status board

 private:
  struct Record {
    time_t last_rotated = 0;
    time_t last_attempt = 0;
    std::string last_error;
  };
  Record read_record() const;
  void write_record(const Record& record) const;
  ControlAnswer rotate(time_t now, const char* why);

  Reloader& reloader_;
  StatusBoard& board_;
  std::string record_path_;
};

// How long a failed scheduled rotation waits before the next try.
inline constexpr time_t kRotationRetrySeconds = 3600;

}  // namespace radflare
