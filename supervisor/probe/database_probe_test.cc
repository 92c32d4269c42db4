#include "probe/database_probe.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace radflare;

namespace {

DatabaseConfig example_database() {
  DatabaseConfig db;
  db.host = "db.example.internal";
  db.port = 5433;
  db.name = "orthanc";
  db.user = "orthanc";
  db.password = Secret("s3cret pass'word");
  db.sslmode = "verify-full";
  db.ssl_root_cert = "/etc/radflare/rds-ca.pem";
  return db;
}

ChildResult exited(int code, std::string output) {
  ChildResult r;
  r.exit_code = code;
  r.output = std::move(output);
  return r;
}

}  // namespace

TEST_CASE("database probe: the command line carries the settings, never the password") {
  const DatabaseConfig db = example_database();
  const auto argv = database_probe_command("/usr/lib/radflare/radflare-pg-probe", db, "radflare-status", true);
  const std::vector<std::string> want = {"/usr/lib/radflare/radflare-pg-probe",
                                         "--size",
                                         "host=db.example.internal",
                                         "port=5433",
                                         "dbname=orthanc",
                                         "user=orthanc",
                                         "sslmode=verify-full",
                                         "sslrootcert=/etc/radflare/rds-ca.pem",
                                         "connect_timeout=3",
                                         "application_name=radflare-status"};
  CHECK(argv == want);
  for (const auto& a : argv) CHECK(a.find("s3cret") == std::string::npos);
  CHECK(database_probe_environment(db) == std::map<std::string, std::string>{{"PGPASSWORD", "s3cret pass'word"}});

  DatabaseConfig local = db;
  local.ssl_root_cert.clear();
  local.password = Secret("");
  const auto plain = database_probe_command("p", local, "radflare-probe", false);
  CHECK(std::find(plain.begin(), plain.end(), "--size") == plain.end());
  CHECK(std::none_of(plain.begin(), plain.end(), [](const std::string& a) { return a.rfind("sslrootcert=", 0) == 0; }));
  CHECK(database_probe_environment(local).empty());
}

TEST_CASE("database probe: what its answer says") {
  DatabaseFacts f = parse_database_probe(
      exited(0, "{\"ok\":true,\"latency_ms\":0.25,\"server_version\":\"15.8\",\"ssl\":true,\"size_bytes\":7655203}\n"));
  CHECK(f.ok);
  CHECK(f.error.empty());
  CHECK(f.latency_ms == doctest::Approx(0.25));
  CHECK(f.server_version == "15.8");
  CHECK(f.ssl);
  CHECK(f.size_bytes == 7655203);

  f = parse_database_probe(exited(0, "{\"ok\":false,\"error\":\"connection refused\"}\n"));
  CHECK_FALSE(f.ok);
  CHECK(f.error == "connection refused");
  CHECK(f.size_bytes == -1);

  // A warning before the JSON line does not hide it.
  f = parse_database_probe(exited(0, "warning: something\n{\"ok\":true,\"latency_ms\":1}\n"));
  CHECK(f.ok);
  CHECK(f.size_bytes == -1);
}

TEST_CASE("database probe: a probe that could not run, failed or hung says so") {
  DatabaseFacts f = parse_database_probe(exited(-1, "cannot run /usr/lib/radflare/radflare-pg-probe: No such file or directory"));
  CHECK_FALSE(f.ok);
  CHECK(f.error == "the PostgreSQL probe failed (exit -1): cannot run /usr/lib/radflare/radflare-pg-probe: No such file or directory");

  f = parse_database_probe(exited(2, "usage: radflare-pg-probe ...\n"));
  CHECK_FALSE(f.ok);
  CHECK(f.error == "the PostgreSQL probe failed (exit 2): usage: radflare-pg-probe ...");

  f = parse_database_probe(exited(0, "not json\n"));
  CHECK_FALSE(f.ok);
  CHECK(f.error == "the PostgreSQL probe failed (exit 0): not json");

  ChildResult hung;
  hung.timed_out = true;
  f = parse_database_probe(hung);
  CHECK_FALSE(f.ok);
  CHECK(f.error == "the PostgreSQL probe did not finish within 10 s");
}

TEST_CASE("database probe: the real program refuses a password on its command line") {
  RealChildRunner runner(false);
  const ChildResult r = runner.run({database_probe_program(), "host=127.0.0.1", "password=x"}, {}, std::chrono::seconds(10));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("usage: radflare-pg-probe") == 0);
}
