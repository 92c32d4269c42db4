#include "plan/unit_actions.h"

#include <doctest/doctest.h>

#include <stdexcept>

#include "config/fakes.h"
#include "render/paths.h"
#include "render/render.h"

using namespace radflare;

TEST_CASE("OHIF settings restart nothing") {
  CHECK(actions_for({paths::kOhifAppConfig}).empty());
}

TEST_CASE("a CORS change (the nginx site) reloads nginx only") {
  auto a = actions_for({paths::kNginxSite});
  REQUIRE(a.size() == 1);
  CHECK(a[0].unit == "nginx.service");
  CHECK(a[0].action == Action::Reload);
}

TEST_CASE("an AET change (orthanc.json) restarts Orthanc only") {
  auto a = actions_for({paths::kOrthancJson});
  REQUIRE(a.size() == 1);
  CHECK(a[0].unit == "orthanc.service");
  CHECK(a[0].action == Action::Restart);
}

TEST_CASE("restart wins over reload for one unit, and units come in dependency order") {
  auto a = actions_for({paths::kNginxUsers, "/etc/postgresql/15/main/conf.d/radflare-reload.conf",
                        paths::kOrthancJson, "/etc/postgresql/15/main/conf.d/radflare-restart.conf"});
  REQUIRE(a.size() == 3);
  CHECK(a[0].unit == "postgresql.service");
  CHECK(a[0].action == Action::Restart);
  CHECK(a[1].unit == "orthanc.service");
  CHECK(a[2].unit == "nginx.service");
}

TEST_CASE("every file any renderer produces has a rule") {
  for (const char* toml : {"", "[database]\nmode = \"external\"\nhost = \"db.example.com\"\npassword_file = \"/p\"\n"
                               "[webhook]\nurl = \"https://app.example.com/h\"\n[tls]\nmode = \"manual\"\n"
                               "cert_file = \"/c\"\nkey_file = \"/k\"\n"}) {
    auto loaded = radflare::testing::load_for_test(toml);
    REQUIRE(loaded.config);
    for (const auto& f : render_plan(*loaded.config).files) CHECK_NOTHROW(rule_for(f.path));
  }
}

TEST_CASE("an unknown path is a programming error, not a silent no-op") {
  CHECK_THROWS_AS(rule_for("/etc/somewhere/else.conf"), std::out_of_range);
}

TEST_CASE("an [ohif] setting changes app-config.js alone, so a reload restarts nothing") {
  auto a = radflare::testing::load_for_test("");
  auto b = radflare::testing::load_for_test("[ohif]\nmax_web_workers = 5\ninvestigational_use_dialog = \"never\"\n");
  REQUIRE(a.config);
  REQUIRE(b.config);
  Plan pa = render_plan(*a.config), pb = render_plan(*b.config);
  std::vector<std::string> changed;
  for (const auto& f : pb.files)
    if (!pa.find(f.path) || pa.find(f.path)->bytes != f.bytes) changed.push_back(f.path);
  CHECK(changed == std::vector<std::string>{paths::kOhifAppConfig});
  CHECK(actions_for(changed).empty());
}
