#include "daemon/password_rotation.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "plan/write.h"
#include "secrets/store.h"

namespace radflare {

namespace {

nlohmann::json iso_or_null(time_t t) {
  if (t <= 0) return nullptr;
  char buf[32];
  tm utc{};
  gmtime_r(&t, &utc);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buf);
}

int rotation_days(const Reloader& reloader) { return reloader.current() ? reloader.current()->admin.rotation_days : 0; }

}  // namespace

PasswordRotation::PasswordRotation(Reloader& reloader, StatusBoard& board, std::string record_path)
    : reloader_(reloader), board_(board), record_path_(std::move(record_path)) {}

PasswordRotation::Record PasswordRotation::read_record() const {
  Record r;
  std::ifstream in(record_path_);
  if (in) {
    try {
      auto j = nlohmann::json::parse(in);
      r.last_rotated = j.value("last_rotated", time_t{0});
      r.last_attempt = j.value("last_attempt", time_t{0});
      r.last_error = j.value("last_error", std::string());
    } catch (const std::exception& e) {
      spdlog::warn("{} is not readable JSON ({}); counting from the password file's age", record_path_, e.what());
    }
  }
  if (r.last_rotated == 0) {
    // Never rotated: the password is as old as its file (made at first boot).
    struct stat st{};
    if (::stat((reloader_.secrets_dir() + "/admin-password").c_str(), &st) == 0) r.last_rotated = st.st_mtime;
  }
  return r;
}

void PasswordRotation::write_record(const Record& r) const {
  nlohmann::json j = {{"last_rotated", r.last_rotated}, {"last_attempt", r.last_attempt}, {"last_error", r.last_error}};
  try {
    write_file_atomically(record_path_, j.dump() + "\n", 0644);
  } catch (const std::exception& e) {
    spdlog::warn("cannot write {}: {}", record_path_, e.what());
  }
}

time_t PasswordRotation::next_due(time_t now) {
  const int days = rotation_days(reloader_);
  if (days <= 0) return 0;
  const Record r = read_record();
  if (r.last_rotated == 0) return 0;  // no password yet: nothing to rotate
  time_t due = r.last_rotated + static_cast<time_t>(days) * 86400;
  if (!r.last_error.empty() && r.last_attempt > 0) due = std::max(due, r.last_attempt + kRotationRetrySeconds);
  (void)now;
  return due;
}

void PasswordRotation::run(time_t now) { rotate(now, "scheduled"); }

ControlAnswer PasswordRotation::rotate_now(time_t now) { return rotate(now, "requested"); }

ControlAnswer PasswordRotation::rotate(time_t now, const char* why) {
  spdlog::info("rotating the admin password ({})", why);
  Record r = read_record();
  r.last_attempt = now;
  const std::string old_password = reloader_.current() ? reloader_.current()->admin.password.reveal() : "";
  ReloadReport report = reloader_.rotate_admin_password(generate_password());
  ControlAnswer answer;
  answer.ok = report.ok;
  if (report.ok && refuses_old_ && reloader_.current()) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(kRotationSwitchSeconds);
    while (!refuses_old_(*reloader_.current(), old_password) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!refuses_old_(*reloader_.current(), old_password))
      spdlog::warn("nginx still accepted the previous admin password {} s after its reload", kRotationSwitchSeconds);
  }
  if (report.ok) {
    r.last_rotated = now;
    r.last_error.clear();
    answer.summary = "the admin password was rotated (" + report.summary + "); `radflare admin-password` shows it";
  } else {
    r.last_error = report.summary;
    answer.summary = "the admin password was not rotated; the previous one is still valid everywhere (" +
                     report.summary + ")";
    spdlog::error("{}", answer.summary);
  }
  write_record(r);
  publish();
  return answer;
}

void PasswordRotation::publish() {
  const Record r = read_record();
  const int days = rotation_days(reloader_);
  nlohmann::json j = {{"user", reloader_.current() ? reloader_.current()->admin.user : ""},
                      {"rotation_days", days},
                      {"last_rotated", iso_or_null(r.last_rotated)},
                      {"next_due", iso_or_null(next_due(time(nullptr)))},
                      {"last_attempt", iso_or_null(r.last_attempt)},
                      {"last_error", r.last_error}};
  board_.publish("admin", std::move(j));
}

bool nginx_refuses_password(const Config& c, const std::string& old_password) {
  const bool tls = c.tls.mode != TlsMode::Off;  // then port 80 only redirects
  httplib::Client client(std::string(tls ? "https" : "http") + "://127.0.0.1:" +
                         std::to_string(tls ? c.web.https_port : c.web.http_port));
  if (tls) client.enable_server_certificate_verification(false);  // our own nginx, on loopback
  client.set_connection_timeout(1);
  client.set_read_timeout(2);
  client.set_basic_auth(c.admin.user, old_password);
  auto res = client.Get(c.web.ohif_path);
  return res && res->status == 401;
}

}  // namespace radflare
