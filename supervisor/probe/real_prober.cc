#include "probe/real_prober.h"

#include <httplib.h>
#include <spawn.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <thread>

#include "probe/database_probe.h"
#include "render/nginx_conf.h"
#include "render/render.h"

extern char** environ;

namespace radflare {

ProbeResult probe_orthanc(const Config& config) {
  httplib::Client client("127.0.0.1", config.orthanc.http_port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  client.set_basic_auth(kProxyUser, config.internal.proxy_password.reveal());
  auto res = client.Get("/changes?last");
  if (!res) return {"orthanc", false, "no answer on 127.0.0.1:" + std::to_string(config.orthanc.http_port) + " (" +
                                          httplib::to_string(res.error()) + ")"};
  if (res->status != 200) return {"orthanc", false, "GET /changes?last answered HTTP " + std::to_string(res->status)};
  return {"orthanc", true, "GET /changes?last answered 200"};
}

ProbeResult probe_postgresql(const Config& config) {
  RealChildRunner runner;  // on the event loop: waiting feeds the watchdog
  DatabaseFacts facts = run_database_probe(config.database, "radflare-probe", false, runner);
  if (!facts.ok) return {"postgresql", false, facts.error};
  return {"postgresql", true, "connected to " + config.database.host + ":" + std::to_string(config.database.port)};
}

ProbeResult probe_nginx(const Config& config) {
  httplib::Client client("127.0.0.1", config.web.http_port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  // Not just "answers": answers with the files just written. A reload
  // returns before nginx's old workers stop taking connections.
  const std::string path(nginx::kGenerationPath);
  auto res = client.Get(path);
  if (!res) return {"nginx", false, "no answer on port " + std::to_string(config.web.http_port)};
  std::string served = res->status == 200 ? res->body : "";
  while (!served.empty() && (served.back() == '\n' || served.back() == '\r')) served.pop_back();
  const std::string expected = nginx_generation(config);
  if (res->status != 200)
    return {"nginx", false, "GET " + path + " answered HTTP " + std::to_string(res->status)};
  if (served != expected)
    return {"nginx", false, "serves configuration " + served + ", not yet " + expected};
  return {"nginx", true, "serves configuration " + expected};
}

std::vector<ProbeResult> RealProber::probe(const Config& config) {
  std::vector<ProbeResult (*)(const Config&)> probes = {probe_orthanc, probe_nginx};
  if (config.orthanc.has_plugin("postgresql")) probes.insert(probes.begin(), probe_postgresql);
  std::vector<ProbeResult> out;
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (auto p : probes) {
    ProbeResult r = p(config);
    auto wait = std::min(first_wait, interval);
    while (!r.ok && std::chrono::steady_clock::now() < until) {
      sd_notify(0, "WATCHDOG=1");  // waiting for a restarted service is not a hang
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, interval);
      r = p(config);
    }
    out.push_back(std::move(r));
  }
  return out;
}

int RealCommandRunner::run(const std::vector<std::string>& argv, std::string& output) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int r = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipefd[1]);
  if (r != 0) {
    ::close(pipefd[0]);
    output = "cannot run " + argv[0];
    return -1;
  }
  std::array<char, 4096> buf{};
  for (ssize_t n; (n = ::read(pipefd[0], buf.data(), buf.size())) > 0;) output.append(buf.data(), n);
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace radflare
