// In-memory stand-ins for the loader's interfaces (tests only).
#pragma once

#include <map>
#include <set>
#include <string>

#include "config/file_access.h"
#include "config/load.h"

namespace radflare::testing {

// Every path exists unless listed in `missing`; a secret file's content is
// "secret-of:<path>" unless set in `secrets`.
class FakeFiles final : public FileAccess {
 public:
  std::set<std::string> missing;
  std::map<std::string, std::string> secrets;

  bool exists(const std::string& path) const override { return !missing.count(path); }
  std::optional<std::string> read_secret(const std::string& path, std::string& error) const override {
    if (missing.count(path)) {
      error = "does not exist";
      return std::nullopt;
    }
    auto it = secrets.find(path);
    return it == secrets.end() ? "secret-of:" + path : it->second;
  }
};

// Appliance secrets with fixed values: "managed-<name>".
class FixedSecrets final : public ManagedSecrets {
 public:
  std::string get(const std::string& name) override { return "managed-" + name; }
};

// The host the golden files are rendered for.
inline HostFacts golden_host() {
  HostFacts h;
  h.cpu_count = 2;
  h.memory_mb = 4096;
  h.postgresql_version = "15";
  h.explorer2_installed = false;
  return h;
}

// Load TOML text with the fakes above.
inline LoadResult load_for_test(std::string_view toml, FakeFiles files = {}, HostFacts host = golden_host()) {
  static FixedSecrets secrets;
  LoadContext context{host, files, secrets};
  return load_config_text(toml, "test.toml", context);
}

}  // namespace radflare::testing
