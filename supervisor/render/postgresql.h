// Helpers of render/postgresql.cc, exposed for its tests (and for the
// supervisor's PostgreSQL probe, which connects the way Orthanc does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace radflare {

// RFC 3986 percent-encoding of everything but unreserved characters; libpq
// decodes it in every part of a postgresql:// URI.
std::string uri_percent_encode(std::string_view text);

// postgresql://user:password@host:port/db?sslmode=...&sslrootcert=...
std::string postgresql_connection_uri(const DatabaseConfig& db);

// "name" with embedded double quotes doubled. Throws on NUL.
std::string sql_identifier(std::string_view name);
// 'text' with quotes doubled; E'...' with backslashes doubled when the text
// has any (meaning is then independent of standard_conforming_strings).
// Throws on NUL.
std::string sql_literal(std::string_view text);

// Idempotent psql script (uses \gexec) creating/updating role and database.
// Throws std::invalid_argument for system roles/databases (postgres, pg_*,
// template0/1), which the loader must already have rejected.
std::string postgresql_bootstrap_sql(const DatabaseConfig& db);

// /etc/postgresql/<version>/main/conf.d
std::string postgresql_conf_dir(const Config& config);

struct LocalPostgresSizing {
  int64_t shared_buffers_mb = 0;
  int64_t effective_cache_size_mb = 0;
  int64_t work_mem_mb = 0;
  int64_t maintenance_work_mem_mb = 0;
  int max_connections = 0;
};
LocalPostgresSizing local_postgres_sizing(const Config& config);

}  // namespace radflare
