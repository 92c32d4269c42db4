// A problem found in the operator's TOML, with where it is and what to do.
//
// Rendered like a compiler message so editors can jump to it:
//   /etc/radflare.toml:12:15: error: orthanc.dicom_port: expected a port number (1-65535), found 70000
#pragma once

#include <string>
#include <vector>

namespace radflare {

struct Diagnostic {
  enum class Severity { Error, Warning };

  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no single place
  int column = 0;  // 1-based
  std::string key;  // dotted key path, e.g. "orthanc.modalities[2].port"
  std::string message;
  Severity severity = Severity::Error;

  std::string format() const;
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diagnostics);

}  // namespace radflare
