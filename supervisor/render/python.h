// Helpers of render/python.cc, exposed for its tests.
#pragma once

#include <string>

namespace radflare {

// The shipped study-webhook forwarder (plugins/webhook_forwarder.py, installed
// by the .deb); runs when webhooks are on and no script of one's own is set.
inline constexpr const char* kWebhookForwarderScript = "/usr/share/radflare/plugins/webhook_forwarder.py";

// NAME="value" for a systemd EnvironmentFile, escaping " \ ` $ so the value
// comes back byte for byte. Throws std::invalid_argument (naming the variable,
// never the value) on control characters, which could otherwise start a new
// assignment.
std::string systemd_env_assignment(const std::string& name, const std::string& value);

}  // namespace radflare
