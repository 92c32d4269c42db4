// The /api/status document (schema: docs/status-api.schema.json), assembled
// from the daemon's StatusBoard sections, the probes' last results and the
// non-secret facts of the running Config, plus the verdict. Pure.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace radflare {

struct StatusLink {
  std::string name;   // "ohif", "dicomweb", "orthanc"
  std::string label;  // "OHIF viewer"
  std::string scheme;
  std::string host;  // a configured public name; empty = the name the page was reached by
  int port = 0;
  std::string path;
};

// What the page shows of the Config: nothing secret in here.
struct StatusView {
  bool configured = false;  // false until a configuration has been applied
  std::string site_name;
  bool database_local = true;
  std::string tls_mode = "off";
  std::vector<std::string> tls_domains;
  std::vector<StatusLink> links;
};
StatusView view_of(const Config& config);

// Every secret value the running Config holds, in the forms it could take in
// an answer (as is, JSON-escaped, inside a Basic Authorization value).
std::vector<std::string> secrets_of(const Config& config);
// `text` with every occurrence of each secret replaced by "<redacted>": the
// last line of defence in front of every answer.
std::string redact(std::string text, const std::vector<std::string>& secrets);

// board: StatusBoard::snapshot(); probes: StatusProbes::snapshot().
nlohmann::json build_report(const nlohmann::json& board, const nlohmann::json& probes, const StatusView& view,
                            time_t now);

std::string base64(std::string_view bytes);

}  // namespace radflare
