// Two yardsticks for bench/status_api.sh, run in the booted appliance beside
// `radflare supervise`, so that its figures can be read against what the
// same library and the same machine give at best:
//
//   httplib_reference serve PORT BYTES
//       a bare cpp-httplib server set up like the status page
//       (supervisor/status/server.cc: 64 threads, keep-alive 100, backlog
//       raised, TCP_NODELAY) answering every GET with BYTES bytes: the floor
//       of the status API's latency under the same wrk;
//   httplib_reference idle
//       does nothing: built with radflare's own shared libraries, it is the
//       floor of the supervisor's RSS (what mapping those libraries costs).
//
// Built by the benchmark with the system compiler; not part of the product.
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "idle") == 0) {
    pause();
    return 0;
  }
  if (argc != 4 || std::strcmp(argv[1], "serve") != 0) {
    std::fprintf(stderr, "usage: %s serve PORT BYTES | idle\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[2]);
  const std::string body(static_cast<size_t>(std::atol(argv[3])), 'x');
  httplib::Server svr;
  int listener = -1;
  svr.set_socket_options([&listener](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listener = sock;
  });
  svr.new_task_queue = [] { return new httplib::ThreadPool(64); };
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(100);
  svr.set_keep_alive_timeout(2);
  svr.Get(".*", [&body](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/json");
  });
  if (!svr.bind_to_port("0.0.0.0", port)) {
    std::perror("bind");
    return 1;
  }
  ::listen(listener, SOMAXCONN);  // as server.cc: httplib's backlog is 5
  return svr.listen_after_bind() ? 0 : 1;
}
