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
#include <functional>
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

  // Whether nginx now refuses the admin's old password. systemd's reload job
  // ends when nginx's master got the signal, a moment before its old workers
  // stop taking connections: a rotation answers only once the old password is
  // refused (or after kRotationSwitchSeconds). Unset in unit tests.
  using RefusesOld = std::function<bool(const Config& running, const std::string& old_password)>;
  void set_refuses_old(RefusesOld check) { refuses_old_ = std::move(check); }

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
  RefusesOld refuses_old_;
};

// The real check: the admin's old credential on nginx's own port, on loopback.
bool nginx_refuses_password(const Config& running, const std::string& old_password);

// How long a failed scheduled rotation waits before the next try.
inline constexpr time_t kRotationRetrySeconds = 3600;
// How long a rotation waits for nginx's workers to use the new password.
inline constexpr int kRotationSwitchSeconds = 10;

}  // namespace radflare
