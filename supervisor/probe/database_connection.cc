#include "probe/database_connection.h"

#include <vector>

namespace radflare {

PgConnection connect_database(const DatabaseConfig& db, const char* application_name) {
  const std::string port = std::to_string(db.port);
  std::vector<const char*> keys = {"host",    "port",           "dbname",          "user",
                                   "password", "sslmode",       "connect_timeout", "application_name"};
  std::vector<const char*> values = {db.host.c_str(),   port.c_str(), db.name.c_str(), db.user.c_str(),
                                     db.password.reveal().c_str(), db.sslmode.c_str(), "3", application_name};
  if (!db.ssl_root_cert.empty()) {
    keys.push_back("sslrootcert");
    values.push_back(db.ssl_root_cert.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PgConnection(PQconnectdbParams(keys.data(), values.data(), 0), &PQfinish);
}

std::string database_error(const PGconn* conn) {
  std::string why = PQerrorMessage(conn);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return why;
}

}  // namespace radflare
