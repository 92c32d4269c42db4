// docs/configuration.md, generated from the schema table (`radflare schema`).
#pragma once

#include <string>

namespace radflare {

std::string schema_markdown();

}  // namespace radflare
