#include "status/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "daemon/status_board.h"
#include "status/cidr.h"
#include "status/metrics.h"
#include "status/report.h"
#include "status/thread_pool.h"

namespace radflare {

using nlohmann::json;

namespace {

// The schema's defaults (config/schema.cc), used until a config is applied.
const char* const kDefaultListen = "0.0.0.0";
constexpr int kDefaultPort = 8090;
const std::vector<std::string> kDefaultCidrs = {"127.0.0.0/8",    "10.0.0.0/8", "172.16.0.0/12",
                                                "192.168.0.0/16", "::1/128",    "fc00::/7"};

const char* mime_of(const std::string& name) {
  auto ext = std::filesystem::path(name).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  return "application/octet-stream";
}

}  // namespace

struct StatusServer::Rendered {
  std::chrono::steady_clock::time_point built;
  std::string status;   // /api/status
  std::string metrics;  // /metrics
  std::string health;   // /healthz
  bool healthy = false;
};

struct StatusServer::State {
  mutable std::mutex mutex;
  std::shared_ptr<const AllowList> allow = std::make_shared<AllowList>(kDefaultCidrs);
  StatusView view;
  std::vector<std::string> secrets;
  std::shared_ptr<const Rendered> cache;
  std::shared_ptr<const std::map<std::string, std::string>> assets =
      std::make_shared<std::map<std::string, std::string>>();
};

struct StatusServer::Listener {
  httplib::Server server;
  std::thread thread;
  std::string address;
  int requested_port = 0;
  std::atomic<int> port{0};
  std::atomic<bool> serving{false};
  std::atomic<bool> done{false};
  std::atomic<int> socket{-1};  // the listening socket, once bound
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
};

StatusServer::StatusServer(const StatusBoard& board, StatusServerOptions options)
    : board_(board), options_(std::move(options)), probes_(options_.probe_interval), state_(std::make_shared<State>()) {}

StatusServer::~StatusServer() { stop(); }

void StatusServer::configure(const Config* config) {
  std::shared_ptr<const Config> copy = config ? std::make_shared<const Config>(*config) : nullptr;
  std::vector<std::string> invalid;
  auto allow = std::make_shared<const AllowList>(copy ? copy->status.allowed_cidrs : kDefaultCidrs, &invalid);
  for (const auto& bad : invalid) spdlog::warn("status page: ignoring allowed_cidrs entry '{}'", bad);
  {
    std::lock_guard lock(state_->mutex);
    state_->allow = std::move(allow);
    state_->view = copy ? view_of(*copy) : StatusView{};
    state_->secrets = copy ? secrets_of(*copy) : std::vector<std::string>{};
    state_->cache.reset();
  }
  load_assets();
  probes_.configure(copy);
  if (!probes_started_) {
    probes_.start();
    probes_started_ = true;
  }
  listen(copy ? copy->status.listen : kDefaultListen, copy ? copy->status.port : kDefaultPort);
}

void StatusServer::stop() {
  stop_listener();
  if (probes_started_) {
    probes_.stop();
    probes_started_ = false;
  }
}

std::string StatusServer::listening() const {
  if (!listener_ || !listener_->serving) return "";
  const std::string& a = listener_->address;
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(listener_->port);
}

int StatusServer::port() const { return listener_ ? listener_->port.load() : 0; }

void StatusServer::load_assets() {
  auto assets = std::make_shared<std::map<std::string, std::string>>();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.assets_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    (*assets)[entry.path().filename().string()] = s.str();
  }
  if (ec || assets->empty()) spdlog::warn("status page: no assets in {}; serving the API only", options_.assets_dir);
  std::lock_guard lock(state_->mutex);
  state_->assets = std::move(assets);
}

std::shared_ptr<const StatusServer::Rendered> StatusServer::rendered() {
  const auto now = std::chrono::steady_clock::now();
  auto fresh = [&](const std::shared_ptr<const Rendered>& r) { return r && now - r->built < options_.cache; };
  std::shared_ptr<const Rendered> cached;
  {
    std::lock_guard lock(state_->mutex);
    cached = state_->cache;
  }
  if (fresh(cached)) return cached;
  // One thread rebuilds. The others answer meanwhile with the report it
  // replaces (older by one build's time) instead of queueing behind it: 50
  // clients stalled four times a second made the tail (p99 37 ms).
  std::unique_lock build(render_mutex_, std::try_to_lock);
  if (!build.owns_lock()) {
    if (cached) return cached;
    build.lock();  // nothing to answer with yet: wait for the first report
  }
  StatusView view;
  std::vector<std::string> secrets;
  {
    std::lock_guard lock(state_->mutex);
    if (fresh(state_->cache)) return state_->cache;
    view = state_->view;
    secrets = state_->secrets;
  }
  const time_t wall = time(nullptr);
  const json report = build_report(board_.snapshot(), probes_.snapshot(wall), view, wall);
  auto r = std::make_shared<Rendered>();
  r->built = now;
  r->status = redact(report.dump(-1, ' ', false, json::error_handler_t::replace), secrets);
  r->metrics = redact(prometheus_text(report), secrets);
  r->healthy = report["verdict"]["level"] != "red";
  r->health = redact(report["verdict"].dump(-1, ' ', false, json::error_handler_t::replace), secrets) + "\n";
  std::lock_guard lock(state_->mutex);
  state_->cache = r;
  return r;
}

void StatusServer::listen(const std::string& address, int port) {
  if (listener_ && listener_->address == address && !listener_->done &&
      (listener_->requested_port == port || listener_->port == port))
    return;
  stop_listener();
  auto l = std::make_unique<Listener>();
  l->address = address;
  l->requested_port = port;
  auto& svr = l->server;
  const int threads = options_.threads;
  const auto idle_thread = options_.idle_thread;
  svr.new_task_queue = [threads, idle_thread] {
    return new ElasticThreadPool(static_cast<size_t>(threads), idle_thread);
  };
  // SO_REUSEADDR only (httplib's default adds SO_REUSEPORT, which would let
  // another process share the port).
  Listener* raw = l.get();
  svr.set_socket_options([raw](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    raw->socket = sock;
  });
  svr.set_tcp_nodelay(true);  // headers and body are separate writes: no 40 ms Nagle stall
  svr.set_keep_alive_max_count(static_cast<size_t>(options_.keep_alive_requests));
  svr.set_keep_alive_timeout(2);
  svr.set_read_timeout(5);
  svr.set_write_timeout(5);
  svr.set_payload_max_length(64 * 1024);
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                           {"X-Frame-Options", "DENY"},
                           {"Referrer-Policy", "no-referrer"},
                           {"Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"}});

  auto state = state_;
  svr.set_pre_routing_handler([state](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const AllowList> allow;
    {
      std::lock_guard lock(state->mutex);
      allow = state->allow;
    }
    if (!allow->allows(req.remote_addr)) {
      res.status = 403;
      res.set_header("Connection", "close");
      res.set_content("403 forbidden: this address is not in status.allowed_cidrs\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_header("Connection", "close");
      res.set_content("405 method not allowed: the status page is read-only\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
    auto r = rendered();
    res.set_header("Cache-Control", "no-store");
    res.set_content(r->status, "application/json");
  });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto r = rendered();
    res.set_header("Cache-Control", "no-store");
    res.set_content(r->metrics, "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    auto r = rendered();
    res.status = r->healthy ? 200 : 503;
    res.set_header("Cache-Control", "no-store");
    res.set_content(r->health, "application/json");
  });
  svr.Get(R"(/([A-Za-z0-9_-][A-Za-z0-9_.-]*)?)", [state](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const std::map<std::string, std::string>> assets;
    {
      std::lock_guard lock(state->mutex);
      assets = state->assets;
    }
    const std::string name = req.matches[1].length() ? req.matches[1].str() : "index.html";
    auto it = assets->find(name);
    if (it == assets->end()) {
      res.status = 404;
      res.set_content("404 not found\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(it->second, mime_of(name));
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content(std::to_string(res.status) + "\n", "text/plain; charset=utf-8");
  });

  raw->thread = std::thread([raw] {
    bool complained = false;
    for (;;) {
      int bound = raw->requested_port == 0 ? raw->server.bind_to_any_port(raw->address)
                                           : (raw->server.bind_to_port(raw->address, raw->requested_port)
                                                  ? raw->requested_port
                                                  : -1);
      if (bound > 0) {
        // cpp-httplib listens with a backlog of 5: clients connecting at
        // once beyond that lose their SYN and retry a second later (wrk's
        // 50 clients saw 1 s maxima). listen() again only raises the backlog.
        ::listen(raw->socket, SOMAXCONN);
        raw->port = bound;
        raw->serving = true;
        spdlog::info("status page on {}:{}", raw->address, bound);
        raw->server.listen_after_bind();
        raw->serving = false;
        break;
      }
      if (!complained)
        spdlog::error("status page: cannot listen on {}:{} ({}); retrying every 2 s", raw->address,
                      raw->requested_port, std::strerror(errno));
      complained = true;
      std::unique_lock lock(raw->mutex);
      if (raw->wake.wait_for(lock, std::chrono::seconds(2), [raw] { return raw->stopping; })) break;
    }
    raw->done = true;
  });
  listener_ = std::move(l);
}

void StatusServer::stop_listener() {
  if (!listener_) return;
  {
    std::lock_guard lock(listener_->mutex);
    listener_->stopping = true;
  }
  listener_->wake.notify_all();
  // stop() is a no-op until listen_after_bind() has started: repeat it until
  // the thread is out.
  while (!listener_->done) {
    listener_->server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  listener_->thread.join();
  listener_.reset();
}

}  // namespace radflare
