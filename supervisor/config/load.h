// toml -> Config: parse, check every key against the schema table, apply
// defaults, read secret files, check the rules between keys.
//
// All problems are collected (not just the first) as Diagnostics with
// file:line:col and the key path. `config` is set only when there is no error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/file_access.h"

namespace radflare {

struct LoadContext {
  HostFacts host;
  const FileAccess& files;
  ManagedSecrets& managed;
};

struct LoadResult {
  std::optional<Config> config;
  Diagnostics diagnostics;  // errors and warnings, in file order
};

LoadResult load_config_file(const std::string& path, const LoadContext& context);
LoadResult load_config_text(std::string_view text, const std::string& path, const LoadContext& context);

// The facts of the machine we are running on (CPU, memory, installed pieces).
HostFacts detect_host_facts();

}  // namespace radflare
