// The rendered PostgreSQL artifacts against the real thing: a throwaway
// cluster (initdb + pg_ctl on a temp dir and a free port), the bootstrap SQL
// run twice through psql, libpq logins with the rendered URI, and Orthanc
// 1.10.1 itself started on the rendered configuration folder.
// Skipped (with a message) when not root or when the binaries are absent.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "probe/database_probe.h"
#include "render/nginx_harness.h"
#include "render/paths.h"
#include "render/postgresql.h"
#include "render/render.h"
#include "render/testing.h"

namespace radflare {
namespace {

namespace fs = std::filesystem;
using testing::file_at;

const fs::path kPgBin = "/usr/lib/postgresql/15/bin";
const fs::path kOrthanc = "/usr/sbin/Orthanc";

int run(const std::string& command) {
  const int status = std::system((command + " >>\"${RADFLARE_LIVE_LOG:-/dev/null}\" 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

using nginx_testing::free_port;

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A cluster owned by postgres in a temp dir, shared by the test cases of this
// file (initdb is most of their time); stopped and removed at exit.
struct ThrowawayCluster {
  fs::path dir;
  int port = 0;

  ThrowawayCluster() {
    char pattern[] = "/tmp/radflare-pg-XXXXXX";
    dir = ::mkdtemp(pattern);
    port = free_port();
    REQUIRE(run("chown postgres: " + dir.string()) == 0);
    REQUIRE(run("runuser -u postgres -- " + (kPgBin / "initdb").string() + " -D " + data() +
                " -U postgres --no-sync --auth-local=peer --auth-host=scram-sha-256") == 0);
    REQUIRE(run("runuser -u postgres -- " + (kPgBin / "pg_ctl").string() + " -D " + data() +
                " -l " + (dir / "server.log").string() + " -w -o \"-c port=" +
                std::to_string(port) + " -c unix_socket_directories=" + dir.string() +
                " -c listen_addresses=127.0.0.1 -c log_statement=all\" start") == 0);
  }
  ~ThrowawayCluster() {
    run("runuser -u postgres -- " + (kPgBin / "pg_ctl").string() + " -D " + data() +
        " -m immediate -w stop");
    fs::remove_all(dir);
  }
  std::string data() const { return (dir / "data").string(); }

  int psql_file(const std::string& sql) const {
    const fs::path file = dir / "bootstrap.sql";
    write_file(file, sql);
    run("chown postgres: " + file.string());
    return run("runuser -u postgres -- " + (kPgBin / "psql").string() + " -X -q -h " +
               dir.string() + " -p " + std::to_string(port) +
               " -d postgres -v ON_ERROR_STOP=1 -f " + file.string());
  }
};

ThrowawayCluster& shared_cluster() {
  static ThrowawayCluster cluster;
  return cluster;
}

bool live_prerequisites() {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root (runuser to postgres)");
    return false;
  }
  if (!fs::exists(kPgBin / "initdb") || !fs::exists(kPgBin / "psql")) {
    MESSAGE("skipped: no PostgreSQL 15 binaries under " << kPgBin);
    return false;
  }
  return true;
}

// Connects with the URI the renderer would give Orthanc and runs `statement`;
// returns "" or the error (a query that returns no row is an error too).
std::string try_login(const DatabaseConfig& db, const char* statement = nullptr) {
  PGconn* conn = PQconnectdb(postgresql_connection_uri(db).c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else if (statement) {
    PGresult* result = PQexec(conn, statement);
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
      error = PQresultErrorMessage(result);
    else if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 0)
      error = "no rows";
    PQclear(result);
  }
  PQfinish(conn);
  return error;
}

Config hostile_local_config(int port) {
  Config c = testing::example_config();
  c.database.host = "127.0.0.1";
  c.database.port = port;
  c.database.user = "orth'an\"c user";
  c.database.name = "db \"x'; --";
  c.database.password = Secret("p@ss w'o\"rd\\ $x");
  c.database.sslmode = "disable";
  return c;
}

TEST_CASE("postgresql (live): bootstrap SQL is idempotent and the role can log in") {
  if (!live_prerequisites()) return;
  ThrowawayCluster& cluster = shared_cluster();
  Config c = hostile_local_config(cluster.port);
  const std::string sql = file_at(render_postgresql(c), paths::kPostgresBootstrap).bytes;

  REQUIRE(cluster.psql_file(sql) == 0);
  REQUIRE(cluster.psql_file(sql) == 0);  // second run: nothing to create, no error

  CHECK(try_login(c.database) == "");
  // The cluster logs every statement, yet not the one carrying the password.
  std::ifstream log(cluster.dir / "server.log");
  const std::string server_log{std::istreambuf_iterator<char>(log), {}};
  CHECK(server_log.find("statement: SET log_statement") != std::string::npos);
  CHECK(server_log.find("PASSWORD") == std::string::npos);
  // The owner may create the extension Orthanc's PostgreSQL plugin needs.
  CHECK(try_login(c.database, "CREATE EXTENSION IF NOT EXISTS pg_trgm") == "");

  DatabaseConfig wrong = c.database;
  wrong.password = Secret("not-the-password");
  CHECK(try_login(wrong) != "");

  // A new secret takes effect on the next run: the password is set every time.
  c.database.password = Secret("rotated-secret");
  REQUIRE(cluster.psql_file(postgresql_bootstrap_sql(c.database)) == 0);
  CHECK(try_login(c.database) == "");
}

TEST_CASE("postgresql (live): the probe program (radflare-pg-probe) with the role's own settings") {
  if (!live_prerequisites()) return;
  ThrowawayCluster& cluster = shared_cluster();
  Config c = hostile_local_config(cluster.port);
  REQUIRE(cluster.psql_file(postgresql_bootstrap_sql(c.database)) == 0);

  // The real child process: the program built beside this test binary.
  RealChildRunner runner(false);
  DatabaseFacts facts = run_database_probe(c.database, "radflare-test", true, runner);
  INFO("error: " << facts.error);
  CHECK(facts.ok);
  CHECK(facts.server_version.rfind("15", 0) == 0);
  CHECK_FALSE(facts.ssl);
  CHECK(facts.size_bytes > 1000000);
  CHECK(facts.latency_ms > 0);
  // Without --size (the reload's probe): no size.
  CHECK(run_database_probe(c.database, "radflare-test", false, runner).size_bytes == -1);

  DatabaseConfig wrong = c.database;
  wrong.password = Secret("not-the-password");
  facts = run_database_probe(wrong, "radflare-test", true, runner);
  CHECK_FALSE(facts.ok);
  CHECK(facts.error.find("password authentication failed") != std::string::npos);
  CHECK(facts.error.find("not-the-password") == std::string::npos);

  DatabaseConfig nobody = c.database;
  nobody.port = free_port();  // nothing listens there
  facts = run_database_probe(nobody, "radflare-test", false, runner);
  CHECK_FALSE(facts.ok);
  CHECK(facts.error.find("Connection refused") != std::string::npos);
}

int http_status(int port, const std::string& user_password) {
  std::string command = "curl -s -o /dev/null -w '%{http_code}' ";
  if (!user_password.empty()) command += "-u '" + user_password + "' ";
  command += "http://127.0.0.1:" + std::to_string(port) + "/statistics";
  FILE* pipe = ::popen(command.c_str(), "r");
  char buffer[16] = {};
  const size_t n = std::fread(buffer, 1, sizeof buffer - 1, pipe);
  ::pclose(pipe);
  return n ? std::atoi(buffer) : 0;
}

// Orthanc started on a rendered configuration folder; SIGTERM on scope exit.
struct RunningOrthanc {
  pid_t pid = -1;
  RunningOrthanc(const fs::path& config_dir, const fs::path& log_dir) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const std::string log = "--logdir=" + log_dir.string();
      ::execl(kOrthanc.c_str(), "Orthanc", log.c_str(), config_dir.c_str(), nullptr);
      ::_exit(127);
    }
  }
  ~RunningOrthanc() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
};

TEST_CASE("postgresql (live): Orthanc 1.10 runs on the rendered files, PG index and storage") {
  if (!live_prerequisites()) return;
  if (!fs::exists(kOrthanc)) {
    MESSAGE("skipped: no " << kOrthanc);
    return;
  }
  ThrowawayCluster& cluster = shared_cluster();
  Config c = testing::example_config();
  c.database.host = "127.0.0.1";
  c.database.port = cluster.port;
  c.database.sslmode = "disable";
  SUBCASE("plain Host/Port/... fields (the plugin splices them unquoted)") {
    c.database.user = "orthanc_plain";
    c.database.name = "orthanc_plain";
    c.database.password = Secret("Plain-Password_123");
  }
  SUBCASE("hostile names and password, through a ConnectionUri") {
    c.database.user = "orthanc \"uri\"";
    c.database.name = "orthanc 'uri'";
    c.database.password = Secret("p@ss w'o\"rd\\ $x:/?#");
  }
  c.database.files = FileStorage::PostgreSQL;
  c.orthanc.plugins = {"postgresql", "dicomweb"};
  c.orthanc.http_port = free_port();
  c.orthanc.dicom_port = free_port();
  c.internal.proxy_password = Secret("proxy-pw");
  const fs::path work = cluster.dir / c.database.user;
  c.orthanc.storage_dir = (work / "storage").string();
  fs::create_directories(work / "config");
  fs::create_directories(c.orthanc.storage_dir);

  const auto pg_files = render_postgresql(c);
  REQUIRE(cluster.psql_file(file_at(pg_files, paths::kPostgresBootstrap).bytes) == 0);
  auto files = render_orthanc(c);
  files.push_back(file_at(pg_files, paths::kOrthancPostgresql));
  for (const auto& f : files) write_file(work / "config" / fs::path(f.path).filename(), f.bytes);

  RunningOrthanc orthanc(work / "config", work);
  int status = 0;
  for (int i = 0; i < 100 && status == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    status = http_status(c.orthanc.http_port, "radflare-proxy:proxy-pw");
  }
  CHECK(status == 200);
  CHECK(http_status(c.orthanc.http_port, "") == 401);
  CHECK(http_status(c.orthanc.http_port, "radflare-proxy:wrong") == 401);
  // Orthanc made its schema in our database, and the storage table with it.
  CHECK(try_login(c.database, "SELECT 'resources'::regclass, 'storagearea'::regclass") == "");
  CHECK(try_login(c.database, "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'") == "");
}

}  // namespace
}  // namespace radflare
