// First stage of loading: compare the parsed TOML with the schema table.
// Reports unknown keys (with suggestions), wrong types and bad values, and
// remembers the nodes that failed so the typed stage falls back to defaults.
#pragma once

#include <set>
#include <string>

#include <toml++/toml.h>

#include "config/diagnostic.h"

namespace radflare {

struct WalkResult {
  std::set<const toml::node*> rejected;
};

WalkResult walk_document(const toml::table& root, const std::string& file, Diagnostics& out);

// "line:col" data for a node (0 when it has none).
void place(Diagnostic& d, const toml::source_region& where);

}  // namespace radflare
