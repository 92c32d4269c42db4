// The PostgreSQL probe, shared by the reload's check (probe/real_prober) and
// the status page (status/probes). It runs as a child process,
// radflare-pg-probe (pg_probe_main.cc), with Orthanc's own database settings:
// libpq and the libraries behind it would otherwise stay mapped in the
// supervisor for good (~4 MB of its RSS, bench/status_api.sh), for a query a
// few seconds apart.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "process/child.h"

namespace radflare {

struct DatabaseFacts {
  bool ok = false;
  std::string error;          // why not, when !ok (never a secret)
  double latency_ms = 0;      // round trip of SELECT 1
  std::string server_version;
  bool ssl = false;
  int64_t size_bytes = -1;    // -1: not asked or not known
};

// connect_timeout (s) the probe passes to libpq, and how long it may run.
constexpr int kDatabaseConnectTimeoutSeconds = 3;
constexpr std::chrono::seconds kDatabaseProbeDeadline{10};

// ---- pure pieces (database_probe_test.cc)
// The probe's command line: PROGRAM [--size] KEYWORD=VALUE..., no password.
std::vector<std::string> database_probe_command(const std::string& program, const DatabaseConfig& db,
                                                const std::string& application_name, bool with_size);
// Its environment: the password, as PGPASSWORD (empty map without one).
std::map<std::string, std::string> database_probe_environment(const DatabaseConfig& db);
// What the probe's run says: its JSON line, or why there is none.
DatabaseFacts parse_database_probe(const ChildResult& result);

// radflare-pg-probe beside this program (a build tree), else where the
// package installs it.
std::string database_probe_program();

// Connects, times SELECT 1, reads the server's version, whether SSL is in use
// and (with_size) the database's size.
DatabaseFacts run_database_probe(const DatabaseConfig& db, const std::string& application_name, bool with_size,
                                 ChildRunner& runner);

}  // namespace radflare
