// The control socket (/run/radflare/control.sock, root only): how the CLI
// asks the running supervisor to act ("reload", "rotate-password", "renew").
//
// One request per connection: a line "COMMAND [ARGUMENT]", answered with
// "ok SUMMARY" or "error SUMMARY", then detail lines, then the connection
// closes. The answer comes when the work is over, so `systemctl reload
// radflare` (ExecReload=radflare reload) returns only when the reload has
// finished and fails when it failed.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace radflare {

struct ControlAnswer {
  bool ok = false;
  std::string summary;              // one line
  std::vector<std::string> details;  // e.g. config diagnostics
  bool invalid_config = false;      // the client exits 1 instead of 4
};

class ControlServer {
 public:
  using Handler = std::function<ControlAnswer(const std::string& argument)>;
  void add(const std::string& command, Handler handler) { handlers_[command] = std::move(handler); }
  // Binds the socket (0600); returns the listening fd, or -1 with errno set.
  int listen(const std::string& path);
  // Accepts one connection on the listening fd and answers it.
  void serve_one(int listen_fd);

 private:
  std::map<std::string, Handler> handlers_;
};

// The client side: sends the request, prints the answer (summary and details
// to stdout on success, to stderr on failure). Returns the exit code: 0 ok,
// 1 invalid config, 4 any other failure or no supervisor.
int send_control_request(const std::string& socket_path, const std::string& request);

}  // namespace radflare
