#include "probe/database_probe.h"

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

namespace radflare {

namespace {

const char* const kProgram = "radflare-pg-probe";
const char* const kInstalledDir = "/usr/lib/radflare";  // CMakeLists.txt: install(TARGETS radflare-pg-probe ...)

}  // namespace

std::vector<std::string> database_probe_command(const std::string& program, const DatabaseConfig& db,
                                                const std::string& application_name, bool with_size) {
  std::vector<std::string> argv = {program};
  if (with_size) argv.push_back("--size");
  argv.push_back("host=" + db.host);
  argv.push_back("port=" + std::to_string(db.port));
  argv.push_back("dbname=" + db.name);
  argv.push_back("user=" + db.user);
  argv.push_back("sslmode=" + db.sslmode);
  if (!db.ssl_root_cert.empty()) argv.push_back("sslrootcert=" + db.ssl_root_cert);
  argv.push_back("connect_timeout=" + std::to_string(kDatabaseConnectTimeoutSeconds));
  argv.push_back("application_name=" + application_name);
  return argv;
}

std::map<std::string, std::string> database_probe_environment(const DatabaseConfig& db) {
  if (db.password.reveal().empty()) return {};
  return {{"PGPASSWORD", db.password.reveal()}};
}

DatabaseFacts parse_database_probe(const ChildResult& result) {
  DatabaseFacts facts;
  if (result.timed_out) {
    facts.error = "the PostgreSQL probe did not finish within " +
                  std::to_string(kDatabaseProbeDeadline.count()) + " s";
    return facts;
  }
  // The last line that is a JSON object (libpq's notices are silenced, but a
  // dynamic loader's warning would come first).
  nlohmann::json answer;
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{') continue;
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_object()) answer = std::move(parsed);
  }
  if (result.exit_code != 0 || !answer.is_object()) {
    std::string said = result.output;
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    facts.error = "the PostgreSQL probe failed (exit " + std::to_string(result.exit_code) + ")" +
                  (said.empty() ? "" : ": " + said.substr(0, 300));
    return facts;
  }
  facts.ok = answer.value("ok", false);
  facts.error = answer.value("error", facts.ok ? "" : "the PostgreSQL probe gave no reason");
  facts.latency_ms = answer.value("latency_ms", 0.0);
  facts.server_version = answer.value("server_version", "");
  facts.ssl = answer.value("ssl", false);
  facts.size_bytes = answer.value("size_bytes", int64_t{-1});
  return facts;
}

std::string database_probe_program() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / kProgram;
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return std::string(kInstalledDir) + "/" + kProgram;
}

DatabaseFacts run_database_probe(const DatabaseConfig& db, const std::string& application_name, bool with_size,
                                 ChildRunner& runner) {
  return parse_database_probe(runner.run(database_probe_command(database_probe_program(), db, application_name, with_size),
                                         database_probe_environment(db), kDatabaseProbeDeadline));
}

}  // namespace radflare
