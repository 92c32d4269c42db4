#include "daemon/password_rotation.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "apply/fakes.h"
#include "config/fakes.h"
#include "plan/write.h"
#include "render/paths.h"
#include "secrets/store.h"

using namespace radflare;
using namespace radflare::testing;
namespace fs = std::filesystem;

namespace {
struct Rig {
  fs::path dir = fs::temp_directory_path() / ("radflare-rotation-" + generate_password());
  FakeSystemd systemd;
  FakeProber prober;
  FakeCommands commands;
  Applier applier{{(dir / "root").string(), (dir / "journal").string()}, systemd, prober, commands};
  Reloader reloader{(dir / "radflare.toml").string(), (dir / "secrets").string(), applier, golden_host()};
  StatusBoard board;
  PasswordRotation rotation{reloader, board, (dir / "rotation.json").string()};

  Rig(const std::string& toml = "[admin]\nrotation_days = 7\n") {
    write_file_atomically((dir / "radflare.toml").string(), toml, 0644);
    REQUIRE(reloader.reload().ok);
    systemd.calls.clear();
  }
  ~Rig() { fs::remove_all(dir); }
  std::string secret() {
    std::ifstream in(dir / "secrets/admin-password");
    std::string s;
    std::getline(in, s);
    return s;
  }
  std::string users_file() {
    std::ifstream in(dir / ("root" + std::string(paths::kNginxUsers)));
    return {std::istreambuf_iterator<char>(in), {}};
  }
};
}  // namespace

TEST_CASE("rotation: a new password reaches nginx with a reload, and Orthanc is not restarted") {
  Rig rig;
  const std::string before = rig.secret(), users_before = rig.users_file();
  ControlAnswer answer = rig.rotation.rotate_now(time(nullptr));
  CHECK(answer.ok);
  CHECK(answer.summary.find(before) == std::string::npos);
  CHECK(rig.secret() != before);
  CHECK(rig.secret().size() == 32);
  CHECK(rig.users_file() != users_before);
  CHECK(rig.systemd.calls == std::vector<std::string>{"ReloadUnit nginx.service"});
  // A reload of the unchanged TOML afterwards keeps the new password.
  CHECK(rig.reloader.reload().outcome == "no change");
}

TEST_CASE("rotation: a failed nginx reload keeps the old password in the store and in nginx") {
  Rig rig;
  const std::string before = rig.secret(), users_before = rig.users_file();
  rig.systemd.fail["ReloadUnit nginx.service"] = "failed";
  ControlAnswer answer = rig.rotation.rotate_now(time(nullptr));
  CHECK_FALSE(answer.ok);
  CHECK(answer.summary.find("previous one is still valid") != std::string::npos);
  CHECK(rig.secret() == before);
  CHECK(rig.users_file() == users_before);
  auto admin = rig.board.section("admin");
  CHECK(admin["last_error"].get<std::string>().find("revert") != std::string::npos);
  CHECK(admin.dump().find(before) == std::string::npos);
}

TEST_CASE("rotation: the schedule counts from the last rotation, kept on disk") {
  Rig rig;
  const time_t now = time(nullptr);
  // Never rotated: the password file's age counts (just made: due in 7 days).
  CHECK(std::llabs(rig.rotation.next_due(now) - (now + 7 * 86400)) < 5);
  write_file_atomically((rig.dir / "rotation.json").string(), R"({"last_rotated": 1000})", 0644);
  CHECK(rig.rotation.next_due(now) == 1000 + 7 * 86400);  // overdue: the timer fires at once
  // A new object (a reboot) reads the same record.
  PasswordRotation after_boot{rig.reloader, rig.board, (rig.dir / "rotation.json").string()};
  CHECK(after_boot.next_due(now) == 1000 + 7 * 86400);
  rig.rotation.run(now);
  CHECK(rig.rotation.next_due(now) == now + 7 * 86400);
}

TEST_CASE("rotation: rotation_days = 0 turns the schedule off, on demand still works") {
  Rig rig("[admin]\nrotation_days = 0\n");
  CHECK(rig.rotation.next_due(time(nullptr)) == 0);
  CHECK(rig.rotation.rotate_now(time(nullptr)).ok);
}

TEST_CASE("rotation: a failed scheduled rotation is retried an hour later, not in a loop") {
  Rig rig;
  write_file_atomically((rig.dir / "rotation.json").string(), R"({"last_rotated": 1000})", 0644);
  rig.systemd.fail["ReloadUnit nginx.service"] = "failed";
  const time_t now = time(nullptr);
  rig.rotation.run(now);
  CHECK(rig.rotation.next_due(now) == now + kRotationRetrySeconds);
}

TEST_CASE("rotation: answers only once nginx refuses the old password") {
  Rig rig;
  const std::string old = rig.secret();
  int asked = 0;
  std::string checked;
  rig.rotation.set_refuses_old([&](const Config&, const std::string& old_password) {
    checked = old_password;
    return ++asked >= 3;  // the old workers answer twice more, then the new ones
  });
  CHECK(rig.rotation.rotate_now(time(nullptr)).ok);
  CHECK(asked >= 3);
  CHECK(checked == old);
}
