// The status page: an HTTP server inside `radflare supervise`, on its own
// threads (cpp-httplib), listening where [status] says.
//
//   GET /             the page (web-status/index.html) and its assets
//   GET /api/status   the report as JSON (docs/status-api.schema.json)
//   GET /metrics      Prometheus text
//   GET /healthz      200 when the verdict is not red, else 503
//
// Read-only: any other method is 405. A peer outside status.allowed_cidrs
// gets 403 before anything else (the TCP peer address; no forwarding header
// is trusted). Answers are built from the StatusBoard and the probes' last
// results at most every `cache` and shared by all requests, so the page costs
// the same with 1 or 50 clients; every body passes redact() with the running
// config's secrets.
//
// Threads: configure() and stop() are called from the event loop only.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "status/probes.h"

namespace radflare {

class StatusBoard;

struct StatusServerOptions {
  std::string assets_dir = "/usr/share/radflare/web-status";
  std::chrono::milliseconds probe_interval{5000};
  std::chrono::milliseconds cache{250};
  // One thread per concurrent connection (httplib serves a kept-alive
  // connection on one thread): with fewer threads than clients, queued
  // connections wait for others' keep-alive runs (wrk -c50 with 8 threads:
  // p90 390 ms). Started as connections come, up to `threads`, and let go
  // after `idle_thread` without one (status/thread_pool.h): ~16 kB each.
  int threads = 64;
  std::chrono::milliseconds idle_thread{30000};
  int keep_alive_requests = 100;  // per connection, then it is closed
};

class StatusServer {
 public:
  StatusServer(const StatusBoard& board, StatusServerOptions options = {});
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // After every reload and rotation: the running config (nullptr until one
  // has been applied: then the schema's defaults for listen, port and
  // allowed_cidrs). Moves the listener when status.listen/port changed.
  void configure(const Config* config);
  void stop();

  // "ADDRESS:PORT" being served ("" while not listening); the port is the
  // real one when the config asked for port 0 (tests).
  std::string listening() const;
  int port() const;

 private:
  struct Listener;
  struct Rendered;
  struct State;
  std::shared_ptr<const Rendered> rendered();
  void listen(const std::string& address, int port);
  void stop_listener();
  void load_assets();

  const StatusBoard& board_;
  StatusServerOptions options_;
  StatusProbes probes_;
  std::shared_ptr<State> state_;  // shared with the handlers
  std::unique_ptr<Listener> listener_;
  std::mutex render_mutex_;
  bool probes_started_ = false;
};

}  // namespace radflare
