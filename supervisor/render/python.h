// Helpers of render/python.cc, exposed for its tests.
#pragma once

#include <string>

namespace radflare {

// NAME="value" for a systemd EnvironmentFile, escaping " \ ` $ so the value
// comes back byte for byte. Throws std::invalid_argument (naming the variable,
// never the value) on control characters, which could otherwise start a new
// assignment.
std::string systemd_env_assignment(const std::string& name, const std::string& value);

}  // namespace radflare
