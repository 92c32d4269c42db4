// One libpq connection with Orthanc's own database settings, shared by the
// reload's probe (probe/real_prober) and the status page's (status/probes).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "config/config.h"

namespace radflare {

using PgConnection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// Connects with keyword/value pairs (no quoting rules to get wrong with any
// password), a 3 s connect timeout and the CA bundle when one is set. Check
// PQstatus() of the result; it is never null.
PgConnection connect_database(const DatabaseConfig& db, const char* application_name);

// PQerrorMessage without its trailing newline.
std::string database_error(const PGconn* conn);

}  // namespace radflare
