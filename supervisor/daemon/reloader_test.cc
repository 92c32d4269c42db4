#include "daemon/reloader.h"

#include <doctest/doctest.h>

#include <filesystem>

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
  fs::path dir = fs::temp_directory_path() / ("radflare-reload-" + generate_password());
  FakeSystemd systemd;
  FakeProber prober;
  FakeCommands commands;
  Applier applier{{(dir / "root").string(), (dir / "journal").string()}, systemd, prober, commands};
  Reloader reloader{(dir / "radflare.toml").string(), (dir / "secrets").string(), applier, golden_host()};
  ~Rig() { fs::remove_all(dir); }
  void toml(const std::string& text) { write_file_atomically((dir / "radflare.toml").string(), text, 0644); }
};
}  // namespace

TEST_CASE("reload: an invalid file changes nothing and says where the problem is") {
  Rig rig;
  rig.toml("[orthanc]\ndicom_port = 0\n");
  ReloadReport r = rig.reloader.reload();
  CHECK_FALSE(r.ok);
  CHECK(r.outcome == "invalid config");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].find("radflare.toml:2:14: error: orthanc.dicom_port") != std::string::npos);
  CHECK_FALSE(fs::exists(rig.dir / "root"));
  CHECK_FALSE(fs::exists(rig.dir / "secrets"));
  CHECK(rig.systemd.calls.empty());
}

TEST_CASE("reload: a valid file is applied, then a second reload changes nothing") {
  Rig rig;
  rig.toml("[site]\nname = \"Reload test\"\n");
  ReloadReport first = rig.reloader.reload();
  CHECK(first.ok);
  CHECK(first.outcome == "applied");
  CHECK(fs::exists(rig.dir / "secrets/admin-password"));
  CHECK(fs::exists(rig.dir / ("root" + std::string(paths::kOrthancJson))));
  rig.systemd.calls.clear();
  ReloadReport second = rig.reloader.reload();
  CHECK(second.ok);
  CHECK(second.outcome == "no change");
  CHECK(rig.systemd.calls.empty());
}
