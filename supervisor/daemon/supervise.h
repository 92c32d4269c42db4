// `radflare supervise`: the daemon behind radflare.service.
//
// One sd-event loop. At start it converges the live files to the TOML on disk
// (finishing or undoing an apply a crash interrupted), then tells systemd
// READY=1. SIGHUP, `radflare reload` and `systemctl reload radflare` (whose
// ExecReload is `radflare reload`) all run the same reload: load + validate
// (a bad file changes nothing) -> render -> apply-or-revert. `radflare reload`
// waits on the control socket for the outcome, so systemctl reload returns
// only when the reload is over and fails when it failed.
#pragma once

#include <string>

namespace radflare {

struct SuperviseOptions {
  std::string config_path = "/etc/radflare.toml";
  std::string root = "/";
  std::string control_socket = "/run/radflare/control.sock";
  std::string state_file = "/run/radflare/state.json";  // last reload, for people and the status page
  std::string journal = "/var/lib/radflare/journal";
};

int supervise(const SuperviseOptions& options);

// The client side of the control socket: asks for a reload and prints the
// outcome. Returns 0 when the reload succeeded (or changed nothing).
int request_reload(const std::string& control_socket);

}  // namespace radflare
