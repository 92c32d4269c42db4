// radflare-pg-probe: the supervisor's PostgreSQL probe, a program of its own.
// libpq brings Kerberos, LDAP, SASL and GnuTLS with it, about 4 MB resident
// in whichever process maps them; run for a moment every few seconds here,
// they stay out of the long-running supervisor (probe/database_probe.h).
//
//   radflare-pg-probe [--size] KEYWORD=VALUE...
//
// KEYWORD=VALUE are libpq connection keywords (host, port, dbname, user,
// sslmode, sslrootcert, connect_timeout, application_name), passed as
// keyword/value pairs: no quoting rules to get wrong with any value. The
// password comes in PGPASSWORD (libpq reads it), never on the command line.
// Prints one JSON line and exits 0, whether the database answered or not:
//   {"ok":true,"latency_ms":0.21,"server_version":"15.8","ssl":false,"size_bytes":7655203}
//   {"ok":false,"error":"connection to server at ... failed: ..."}
// --size adds the database's size. Exit 2: a usage error.
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// PQerrorMessage without its trailing newline.
std::string error_of(const PGconn* conn) {
  std::string why = PQerrorMessage(conn);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return why;
}

nlohmann::json probe(const std::vector<const char*>& keys, const std::vector<const char*>& values, bool with_size) {
  nlohmann::json out = {{"ok", false}};
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdbParams(keys.data(), values.data(), 0), &PQfinish);
  if (!conn) {
    out["error"] = "libpq could not allocate a connection";
    return out;
  }
  // Notices would go to stderr, which the supervisor reads with stdout.
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    out["error"] = error_of(conn.get());
    return out;
  }
  const auto t0 = std::chrono::steady_clock::now();
  Result ping(PQexec(conn.get(), "SELECT 1"), &PQclear);
  const auto t1 = std::chrono::steady_clock::now();
  if (PQresultStatus(ping.get()) != PGRES_TUPLES_OK) {
    out["error"] = error_of(conn.get());
    return out;
  }
  out["ok"] = true;
  out["latency_ms"] = std::round(std::chrono::duration<double, std::milli>(t1 - t0).count() * 1000) / 1000;
  const char* version = PQparameterStatus(conn.get(), "server_version");
  out["server_version"] = version ? version : "";
  out["ssl"] = PQsslInUse(conn.get()) == 1;
  if (with_size) {
    Result size(PQexec(conn.get(), "SELECT pg_database_size(current_database())"), &PQclear);
    if (PQresultStatus(size.get()) == PGRES_TUPLES_OK && PQntuples(size.get()) == 1) {
      int64_t bytes = -1;
      const char* v = PQgetvalue(size.get(), 0, 0);
      std::from_chars(v, v + std::strlen(v), bytes);
      out["size_bytes"] = bytes;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bool with_size = false;
  std::vector<std::string> keywords;
  std::vector<const char*> keys, values;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--size") == 0) {
      with_size = true;
      continue;
    }
    const char* eq = std::strchr(argv[i], '=');
    if (!eq || eq == argv[i] || std::strncmp(argv[i], "password=", 9) == 0) {
      std::fprintf(stderr, "usage: radflare-pg-probe [--size] KEYWORD=VALUE... (the password in PGPASSWORD)\n");
      return 2;
    }
    keywords.emplace_back(argv[i], static_cast<size_t>(eq - argv[i]));
    values.push_back(eq + 1);
  }
  for (const auto& k : keywords) keys.push_back(k.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  std::printf("%s\n", probe(keys, values, with_size).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}
