// Rules between keys ("acme needs an e-mail", "two services on one port"),
// checked after every single value passed. Each rule is a small function in
// rules.cc; messages point at the key that has to change.
#pragma once

#include <string>

#include "config/config.h"
#include "config/diagnostic.h"
#include "config/load.h"
#include "config/values.h"

namespace radflare {

void check_rules(const Config& config, const Values& values, const LoadContext& context, const std::string& file,
                 Diagnostics& out);

}  // namespace radflare
