#include "systemd/unit_model.h"

#include <doctest/doctest.h>

using namespace radflare;

TEST_CASE("unit model: the first observation is a starting point, not an incident") {
  UnitModel m({"orthanc.service", "nginx.service"});
  m.observe("orthanc.service", "active", "running", 100);
  CHECK(m.incidents().empty());
  CHECK(m.units()[0].active_state == "active");
  CHECK(m.units()[0].since == 100);
  CHECK(m.units()[1].active_state == "unknown");
}

TEST_CASE("unit model: a killed service that systemd restarts is one restart and two incidents") {
  UnitModel m({"nginx.service"});
  m.observe("nginx.service", "active", "running", 100);
  m.observe("nginx.service", "activating", "auto-restart", 101);
  m.observe("nginx.service", "activating", "start", 102);
  m.observe("nginx.service", "active", "running", 103);
  REQUIRE(m.incidents().size() == 2);
  CHECK(m.incidents()[0].what == "died; systemd restarts it");
  CHECK(m.incidents()[1].what == "active again");
  CHECK(m.units()[0].restarts == 1);
}

TEST_CASE("unit model: failures and stops are recorded; unknown units are ignored") {
  UnitModel m({"postgresql@15-main.service"});
  m.observe("postgresql@15-main.service", "active", "running", 1);
  m.observe("postgresql@15-main.service", "failed", "failed", 2);
  m.observe("other.service", "failed", "failed", 3);
  m.observe("postgresql@15-main.service", "inactive", "dead", 4);
  REQUIRE(m.incidents().size() == 1);
  CHECK(m.incidents()[0].what == "failed (failed)");
  CHECK(m.incidents()[0].unit == "postgresql@15-main.service");
}
