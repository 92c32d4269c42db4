#include "render/postgresql.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "render/paths.h"
#include "render/render.h"
#include "render/testing.h"

namespace radflare {
namespace {

using nlohmann::json;
using testing::example_config;
using testing::file_at;

const std::string kConfDir = "/etc/postgresql/15/main/conf.d/";

bool has_file(const std::vector<PlannedFile>& files, const std::string& path) {
  for (const auto& f : files)
    if (f.path == path) return true;
  return false;
}

json plugin_section(const Config& c) {
  return json::parse(file_at(render_postgresql(c), paths::kOrthancPostgresql).bytes)["PostgreSQL"];
}

Config external_config() {
  Config c = example_config();
  c.database.mode = DatabaseMode::External;
  c.database.host = "db.abc123.eu-west-1.rds.amazonaws.com";
  c.database.name = "radflare_orthanc_web";
  c.database.user = "orthanc";
  c.database.password = Secret("rds-password");
  c.database.sslmode = "require";
  return c;
}

TEST_CASE("postgresql: plugin settings, local, files on disk") {
  const Config c = example_config();
  const auto files = render_postgresql(c);
  const PlannedFile& file = file_at(files, paths::kOrthancPostgresql);
  CHECK(file.mode == 0640);
  CHECK(file.owner == "root");
  CHECK(file.group == "orthanc");
  CHECK(file.secret);
  CHECK(file.bytes.back() == '\n');
  const json pg = json::parse(file.bytes)["PostgreSQL"];
  CHECK(pg["EnableIndex"] == true);
  CHECK(pg["EnableStorage"] == false);
  CHECK(pg["Host"] == "localhost");
  CHECK(pg["Port"] == 5432);
  CHECK(pg["Database"] == "orthanc");
  CHECK(pg["Username"] == "orthanc");
  CHECK(pg["Password"] == "test-db-password");
  CHECK(pg["EnableSsl"] == false);
  CHECK(pg["Lock"] == true);
  CHECK(pg["IndexConnectionsCount"] == 1);
  CHECK(pg["MaximumConnectionRetries"] == 10);
  CHECK(pg["ConnectionRetryInterval"] == 5);
  CHECK_FALSE(pg.contains("ConnectionUri"));
}

TEST_CASE("postgresql: files in PostgreSQL, shared database, bigger pool") {
  Config c = example_config();
  c.database.files = FileStorage::PostgreSQL;
  c.database.lock = false;
  c.database.index_connections = 8;
  const json pg = plugin_section(c);
  CHECK(pg["EnableStorage"] == true);
  CHECK(pg["Lock"] == false);
  CHECK(pg["IndexConnectionsCount"] == 8);
}

TEST_CASE("postgresql: no plugin, no postgresql.json") {
  Config c = example_config();
  c.orthanc.plugins = {"dicomweb"};
  CHECK_FALSE(has_file(render_postgresql(c), paths::kOrthancPostgresql));
}

TEST_CASE("postgresql: external with sslmode=require uses the plain fields") {
  const Config c = external_config();
  const auto files = render_postgresql(c);
  CHECK(files.size() == 1);  // nothing for a local cluster
  const json pg = plugin_section(c);
  CHECK(pg["Host"] == "db.abc123.eu-west-1.rds.amazonaws.com");
  CHECK(pg["EnableSsl"] == true);
  CHECK(pg["MaximumConnectionRetries"] == 24);
  CHECK_FALSE(pg.contains("ConnectionUri"));
}

TEST_CASE("postgresql: external verify-full needs a ConnectionUri") {
  Config c = external_config();
  c.database.sslmode = "verify-full";
  c.database.ssl_root_cert = "/etc/radflare/rds-global-bundle.pem";
  c.database.user = "orth@nc";
  c.database.password = Secret("p@ss:w/rd?#&=% x");
  const json pg = plugin_section(c);
  CHECK(pg["ConnectionUri"] ==
        "postgresql://orth%40nc:p%40ss%3Aw%2Frd%3F%23%26%3D%25%20x@"
        "db.abc123.eu-west-1.rds.amazonaws.com:5432/radflare_orthanc_web"
        "?sslmode=verify-full&sslrootcert=%2Fetc%2Fradflare%2Frds-global-bundle.pem");
  CHECK(pg["EnableSsl"] == true);
  for (const char* key : {"Host", "Port", "Database", "Username", "Password"})
    CHECK_FALSE(pg.contains(key));
}

TEST_CASE("postgresql: values the plugin would splice unquoted go in a URI") {
  Config c = external_config();
  SUBCASE("a space could add a keyword") { c.database.password = Secret("x sslmode=disable"); }
  SUBCASE("a quote") { c.database.password = Secret("it's"); }
  SUBCASE("a backslash") { c.database.user = "a\\b"; }
  SUBCASE("sslmode prefer") { c.database.sslmode = "prefer"; }
  const json pg = plugin_section(c);
  REQUIRE(pg.contains("ConnectionUri"));
  CHECK_FALSE(pg.contains("Password"));
  CHECK(pg["ConnectionUri"].get<std::string>().find(' ') == std::string::npos);
}

TEST_CASE("postgresql: connection URI corner cases") {
  DatabaseConfig db;
  db.user = "u";
  db.name = "d";
  db.port = 6432;
  db.host = "::1";
  CHECK(postgresql_connection_uri(db) == "postgresql://u@[::1]:6432/d");
  db.host = "/var/run/postgresql";
  db.sslmode = "disable";
  CHECK(postgresql_connection_uri(db) ==
        "postgresql://u@:6432/d?host=%2Fvar%2Frun%2Fpostgresql&sslmode=disable");
  CHECK(uri_percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(uri_percent_encode("\xc3\xa9/") == "%C3%A9%2F");
}

TEST_CASE("postgresql: sql_identifier and sql_literal quote hostile input") {
  CHECK(sql_identifier("orthanc") == "\"orthanc\"");
  CHECK(sql_identifier("a\"b") == "\"a\"\"b\"");
  CHECK(sql_identifier("x\"; DROP DATABASE y; --") == "\"x\"\"; DROP DATABASE y; --\"");
  CHECK(sql_literal("plain") == "'plain'");
  CHECK(sql_literal("it's") == "'it''s'");
  CHECK(sql_literal("'; DROP ROLE x; --") == "'''; DROP ROLE x; --'");
  CHECK(sql_literal("back\\slash'") == "E'back\\\\slash'''");
  CHECK(sql_literal("line\nbreak") == "'line\nbreak'");
  CHECK_THROWS_AS(sql_literal(std::string("nul\0byte", 8)), std::invalid_argument);
  CHECK_THROWS_AS(sql_identifier(std::string("nul\0", 4)), std::invalid_argument);
}

TEST_CASE("postgresql: local cluster settings, split by what a reload can apply") {
  Config c = example_config();
  c.host.memory_mb = 4096;
  const auto files = render_postgresql(c);
  const PlannedFile& restart = file_at(files, kConfDir + paths::kPostgresRestartConf);
  const PlannedFile& reload = file_at(files, kConfDir + paths::kPostgresReloadConf);
  for (const PlannedFile* f : {&restart, &reload}) {
    CHECK(f->mode == 0644);
    CHECK(f->owner == "root");
    CHECK(f->group == "root");
    CHECK_FALSE(f->secret);
    CHECK(f->bytes.find("fsync = off") == std::string::npos);
    CHECK(f->bytes.find("synchronous_commit = off") == std::string::npos);
    CHECK(f->bytes.find("test-db-password") == std::string::npos);
  }
  CHECK(restart.bytes.find("listen_addresses = 'localhost'") != std::string::npos);
  CHECK(restart.bytes.find("port = 5432\n") != std::string::npos);
  CHECK(restart.bytes.find("max_connections = 50\n") != std::string::npos);
  CHECK(restart.bytes.find("shared_buffers = '1024MB'\n") != std::string::npos);
  CHECK(reload.bytes.find("shared_buffers") == std::string::npos);
  CHECK(reload.bytes.find("effective_cache_size = '2048MB'\n") != std::string::npos);
  CHECK(reload.bytes.find("work_mem = '16MB'\n") != std::string::npos);
  CHECK(reload.bytes.find("maintenance_work_mem = '256MB'\n") != std::string::npos);
  CHECK(reload.bytes.find("log_min_duration_statement") != std::string::npos);

  SUBCASE("the version directory comes from the host") {
    c.host.postgresql_version = "16";
    CHECK(has_file(render_postgresql(c),
                   std::string("/etc/postgresql/16/main/conf.d/") + paths::kPostgresReloadConf));
  }
}

TEST_CASE("postgresql: memory sizing is bounded") {
  Config c = example_config();
  c.host.memory_mb = 512;
  LocalPostgresSizing s = local_postgres_sizing(c);
  CHECK(s.shared_buffers_mb == 128);
  CHECK(s.work_mem_mb == 4);
  CHECK(s.maintenance_work_mem_mb == 64);
  c.host.memory_mb = 256 * 1024;
  c.database.index_connections = 100;
  s = local_postgres_sizing(c);
  CHECK(s.shared_buffers_mb == 8192);
  CHECK(s.work_mem_mb == 64);
  CHECK(s.maintenance_work_mem_mb == 1024);
  CHECK(s.max_connections == 120);
}

TEST_CASE("postgresql: bootstrap SQL") {
  Config c = example_config();
  const auto files = render_postgresql(c);
  const PlannedFile& file = file_at(files, paths::kPostgresBootstrap);
  CHECK(file.mode == 0600);
  CHECK(file.owner == "root");
  CHECK(file.group == "root");
  CHECK(file.secret);
  const std::string& sql = file.bytes;
  CHECK(sql.find("SELECT 'CREATE ROLE \"orthanc\" LOGIN' WHERE NOT EXISTS") != std::string::npos);
  CHECK(sql.find("ALTER ROLE \"orthanc\" WITH LOGIN PASSWORD 'test-db-password';") !=
        std::string::npos);
  CHECK(sql.find("CREATE DATABASE \"orthanc\" OWNER \"orthanc\"") != std::string::npos);
  CHECK(sql.find("\\gexec") != std::string::npos);
  CHECK(sql.find("DO $") == std::string::npos);
  // The statement with the password never reaches the server log.
  CHECK(sql.find("SET log_min_error_statement = 'panic';") < sql.find("PASSWORD"));
  CHECK(sql.find("SET log_statement = 'none';") < sql.find("PASSWORD"));

  SUBCASE("hostile names nest their quoting") {
    c.database.user = "o'r\"x";
    const std::string hostile = postgresql_bootstrap_sql(c.database);
    // The identifier "o'r""x" inside a literal: quotes of the literal doubled.
    CHECK(hostile.find("SELECT 'CREATE ROLE \"o''r\"\"x\" LOGIN'") != std::string::npos);
    CHECK(hostile.find("WHERE rolname = 'o''r\"x'") != std::string::npos);
  }
  SUBCASE("system roles and databases are refused") {
    c.database.user = "postgres";
    CHECK_THROWS_AS(render_postgresql(c), std::invalid_argument);
    c.database.user = "pg_monitor";
    CHECK_THROWS_AS(render_postgresql(c), std::invalid_argument);
    c.database.user = "orthanc";
    c.database.name = "template1";
    CHECK_THROWS_AS(render_postgresql(c), std::invalid_argument);
  }
}

TEST_CASE("postgresql: the DB password is only in postgresql.json and the bootstrap SQL") {
  const auto files = render_postgresql(example_config());
  CHECK(files.size() == 4);
  for (const auto& f : files) {
    const bool may_hold =
        f.path == paths::kOrthancPostgresql || f.path == paths::kPostgresBootstrap;
    CHECK((f.bytes.find("test-db-password") != std::string::npos) == may_hold);
    CHECK(f.bytes.find("test-proxy-password") == std::string::npos);
    CHECK(f.bytes.find("test-admin-password") == std::string::npos);
    if (may_hold) CHECK(f.secret);
  }
}

}  // namespace
}  // namespace radflare
