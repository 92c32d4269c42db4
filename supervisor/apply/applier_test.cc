#include "apply/applier.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "apply/fakes.h"
#include "plan/write.h"
#include "render/paths.h"
#include "render/render.h"
#include "render/testing.h"
#include "secrets/store.h"

using namespace radflare;
using namespace radflare::testing;
namespace fs = std::filesystem;

namespace {

struct Rig {
  fs::path dir = fs::temp_directory_path() / ("radflare-apply-" + generate_password());
  FakeSystemd systemd;
  FakeProber prober;
  FakeCommands commands;
  Applier applier{{dir / "root", (dir / "journal").string()}, systemd, prober, commands};

  ~Rig() { fs::remove_all(dir); }
  std::string live(const std::string& path) {
    std::string out;
    read_file((dir / "root").string() + path, out);
    return out;
  }
};

Config with_aet(std::string aet) {
  Config c = example_config();
  c.orthanc.aet = std::move(aet);
  return c;
}

}  // namespace

TEST_CASE("apply: the first apply writes every file and settles the units") {
  Rig rig;
  Config c = example_config();
  ApplyResult r = rig.applier.apply(render_plan(c), c);
  CHECK(r.outcome == ApplyResult::Outcome::Applied);
  CHECK(r.changed.size() == render_plan(c).files.size());
  CHECK(rig.live(paths::kOrthancJson).find("\"DicomAet\": \"RADFLARE\"") != std::string::npos);
  CHECK(rig.systemd.calls.front() == "Enable postgresql.service");
  CHECK_FALSE(fs::exists(rig.dir / "journal"));
}

TEST_CASE("apply: a reload with nothing changed touches no unit") {
  Rig rig;
  Config c = example_config();
  rig.applier.apply(render_plan(c), c);
  rig.systemd.calls.clear();
  ApplyResult r = rig.applier.apply(render_plan(c), c);
  CHECK(r.outcome == ApplyResult::Outcome::NoChange);
  CHECK(rig.systemd.calls.empty());
  CHECK(rig.commands.ran.size() == 1);  // only the first apply ran nginx -t
}

TEST_CASE("apply: a new AET restarts Orthanc and nothing else") {
  Rig rig;
  Config c = example_config();
  rig.applier.apply(render_plan(c), c);
  rig.systemd.calls.clear();
  Config d = with_aet("NEWAET");
  ApplyResult r = rig.applier.apply(render_plan(d), d);
  CHECK(r.outcome == ApplyResult::Outcome::Applied);
  CHECK(r.changed == std::vector<std::string>{paths::kOrthancJson});
  CHECK(rig.systemd.calls == std::vector<std::string>{"RestartUnit orthanc.service"});
}

TEST_CASE("apply: nginx -t failing restores the files and touches no unit") {
  Rig rig;
  Config c = example_config();
  rig.applier.apply(render_plan(c), c);
  const std::string site = rig.live(paths::kNginxSite);
  rig.systemd.calls.clear();
  rig.commands.nginx_status = 1;
  Config d = example_config();
  d.web.cors_origins = {"https://app.example.com"};
  ApplyResult r = rig.applier.apply(render_plan(d), d);
  CHECK(r.outcome == ApplyResult::Outcome::Reverted);
  CHECK(r.cause.find("nginx rejected") != std::string::npos);
  CHECK(rig.live(paths::kNginxSite) == site);
  CHECK(rig.systemd.calls.empty());
}

TEST_CASE("apply: a probe failing after the restart puts the old files back and restarts again") {
  Rig rig;
  Config c = example_config();
  rig.applier.apply(render_plan(c), c);
  const std::string before = rig.live(paths::kOrthancJson);
  rig.systemd.calls.clear();
  rig.prober.verdicts = {"connection refused on 127.0.0.1:8044"};
  Config d = with_aet("NEWAET");
  ApplyResult r = rig.applier.apply(render_plan(d), d);
  CHECK(r.outcome == ApplyResult::Outcome::Reverted);
  CHECK(r.cause.find("orthanc is not answering: connection refused") != std::string::npos);
  CHECK(rig.live(paths::kOrthancJson) == before);
  CHECK(rig.systemd.calls ==
        std::vector<std::string>{"RestartUnit orthanc.service", "RestartUnit orthanc.service"});
  CHECK_FALSE(fs::exists(rig.dir / "journal"));
  // The next reload of the same bad config tries again (the live files are the old ones).
  rig.systemd.calls.clear();
  CHECK(rig.applier.apply(render_plan(d), d).outcome == ApplyResult::Outcome::Applied);
}

TEST_CASE("apply: when the revert fails too, both causes are reported") {
  Rig rig;
  Config c = example_config();
  rig.applier.apply(render_plan(c), c);
  rig.prober.verdicts = {"timeout", "still down"};
  Config d = with_aet("NEWAET");
  ApplyResult r = rig.applier.apply(render_plan(d), d);
  CHECK(r.outcome == ApplyResult::Outcome::RevertFailed);
  CHECK(r.cause.find("timeout") != std::string::npos);
  CHECK(r.cause.find("still down") != std::string::npos);
}

TEST_CASE("apply: a file the new plan no longer has is removed, and comes back on revert") {
  Rig rig;
  Config c = example_config();
  c.python.script = "/etc/radflare/plugins/mine.py";
  rig.applier.apply(render_plan(c), c);
  REQUIRE_FALSE(rig.live(paths::kOrthancPython).empty());
  Config d = example_config();  // no script, no webhook: no python.json
  rig.prober.verdicts = {"down"};
  CHECK(rig.applier.apply(render_plan(d), d).outcome == ApplyResult::Outcome::Reverted);
  CHECK_FALSE(rig.live(paths::kOrthancPython).empty());
  CHECK(rig.applier.apply(render_plan(d), d).outcome == ApplyResult::Outcome::Applied);
  CHECK_FALSE(fs::exists(rig.dir / "root" / paths::kOrthancPython));
}

TEST_CASE("snapshot journal: complete journals load, half-written ones do not") {
  fs::path dir = fs::temp_directory_path() / ("radflare-journal-" + generate_password());
  write_file_atomically((dir / "root/etc/a").string(), "old a", 0640);
  Snapshot s = Snapshot::capture((dir / "root").string(), {"/etc/a", "/etc/absent"});
  s.save_journal((dir / "journal").string());
  auto loaded = Snapshot::load_journal((dir / "journal").string());
  REQUIRE(loaded);
  CHECK(loaded->files().at("/etc/a")->bytes == "old a");
  CHECK(loaded->files().at("/etc/a")->mode == 0640);
  CHECK_FALSE(loaded->files().at("/etc/absent").has_value());
  write_file_atomically((dir / "root/etc/a").string(), "new a", 0644);
  write_file_atomically((dir / "root/etc/absent").string(), "new", 0644);
  loaded->restore((dir / "root").string());
  std::string a;
  CHECK(read_file((dir / "root/etc/a").string(), a));
  CHECK(a == "old a");
  CHECK_FALSE(fs::exists(dir / "root/etc/absent"));
  fs::remove(dir / "journal/index.json");
  CHECK_FALSE(Snapshot::load_journal((dir / "journal").string()));
  fs::remove_all(dir);
}

TEST_CASE("apply: an interrupted apply's journal is found by the next supervisor and can be restored") {
  Rig rig;
  Config c = example_config();
  rig.applier.apply(render_plan(c), c);
  const std::string before = rig.live(paths::kOrthancJson);
  // A supervisor killed after journalling and writing one file of a new apply:
  Snapshot::capture((rig.dir / "root").string(), {paths::kOrthancJson}).save_journal((rig.dir / "journal").string());
  write_file_atomically((rig.dir / "root").string() + paths::kOrthancJson, "{half of a new config}", 0644);
  FakeSystemd systemd;
  FakeProber prober;
  FakeCommands commands;
  Applier next{{rig.dir / "root", (rig.dir / "journal").string()}, systemd, prober, commands};
  auto snapshot = next.interrupted_apply();
  REQUIRE(snapshot);
  CHECK(next.restore_interrupted(*snapshot).empty());
  CHECK(rig.live(paths::kOrthancJson) == before);
  CHECK(systemd.calls == std::vector<std::string>{"RestartUnit orthanc.service"});
  CHECK_FALSE(next.interrupted_apply());
}

TEST_CASE("apply: converging after an interrupted apply also runs the actions its files are owed") {
  Rig rig;
  Config c = example_config();
  rig.applier.apply(render_plan(c), c);
  // A supervisor killed after writing the new nginx site, before reloading
  // nginx: the file on disk is already the one the TOML asks for.
  Config cors = c;
  cors.web.cors_origins = {"https://app.example.com"};
  Snapshot::capture((rig.dir / "root").string(), {paths::kNginxSite}).save_journal((rig.dir / "journal").string());
  write_plan(Plan{{file_at(render_nginx(cors), paths::kNginxSite)}}, {(rig.dir / "root").string(), true});

  FakeSystemd systemd;
  FakeProber prober;
  FakeCommands commands;
  Applier next{{rig.dir / "root", (rig.dir / "journal").string()}, systemd, prober, commands};
  next.revert_to(next.interrupted_apply());
  ApplyResult r = next.apply(render_plan(cors), cors);
  CHECK(r.outcome == ApplyResult::Outcome::Applied);
  CHECK(r.changed.empty());  // nothing left to write...
  // ...but nginx still runs the old site: it is checked and reloaded.
  CHECK(commands.ran.size() == 1);
  CHECK(std::find(systemd.calls.begin(), systemd.calls.end(), "ReloadUnit nginx.service") != systemd.calls.end());
  CHECK_FALSE(next.interrupted_apply());

  // The next reload with nothing changed is a no-op again.
  systemd.calls.clear();
  CHECK(next.apply(render_plan(cors), cors).outcome == ApplyResult::Outcome::NoChange);
  CHECK(systemd.calls.empty());
}
