#include "daemon/supervise.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apply/applier.h"
#include "daemon/reloader.h"
#include "plan/write.h"
#include "probe/real_prober.h"
#include "render/paths.h"
#include "systemd/sdbus_client.h"
#include "systemd/unit_model.h"
#include "systemd/unit_watcher.h"
#include <systemd/sd-bus.h>

namespace radflare {

namespace {

uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

std::string iso_now() {
  char buf[32];
  time_t t = time(nullptr);
  tm utc{};
  gmtime_r(&t, &utc);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

struct Daemon {
  const SuperviseOptions& options;
  Reloader& reloader;
  UnitModel& units;
  ReloadReport last;

  ReloadReport reload() {
    // systemd 252+: RELOADING=1 needs MONOTONIC_USEC, else `systemctl reload` hangs.
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
               static_cast<unsigned long long>(monotonic_usec()), options.config_path.c_str());
    last = reloader.reload();
    if (!last.ok) units.note("radflare.service", "reload " + last.outcome + ": " + last.summary, time(nullptr));
    write_state();
    sd_notifyf(0, "READY=1\nSTATUS=%s", last.summary.c_str());
    return last;
  }

  void write_state() {
    nlohmann::json state = {{"config", options.config_path}, {"time", iso_now()},      {"ok", last.ok},
                            {"outcome", last.outcome},       {"summary", last.summary}, {"diagnostics", last.diagnostics}};
    state["units"] = nlohmann::json::array();
    for (const auto& u : units.units())
      state["units"].push_back({{"unit", u.unit}, {"active_state", u.active_state}, {"sub_state", u.sub_state},
                                {"since", u.since}, {"restarts", u.restarts}});
    state["incidents"] = nlohmann::json::array();
    for (const auto& i : units.incidents())
      state["incidents"].push_back({{"time", i.time}, {"unit", i.unit}, {"what", i.what}});
    try {
      write_file_atomically(options.state_file, state.dump(2) + "\n", 0644);
    } catch (const std::exception& e) {
      spdlog::warn("cannot write {}: {}", options.state_file, e.what());
    }
  }
};

int on_signal(sd_event_source* source, const signalfd_siginfo* info, void* userdata) {
  auto* daemon = static_cast<Daemon*>(userdata);
  if (info->ssi_signo == SIGHUP) {
    spdlog::info("SIGHUP: reloading {}", daemon->options.config_path);
    daemon->reload();
    return 0;
  }
  spdlog::info("{}: stopping", strsignal(static_cast<int>(info->ssi_signo)));
  sd_notify(0, "STOPPING=1");
  return sd_event_exit(sd_event_source_get_event(source), 0);
}

// One request per connection: a line ("reload"), answered with "ok …" or
// "error …" lines, then the connection closes.
int on_control(sd_event_source*, int listen_fd, uint32_t, void* userdata) {
  auto* daemon = static_cast<Daemon*>(userdata);
  int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return 0;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  std::string request(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!request.empty() && (request.back() == '\n' || request.back() == '\r')) request.pop_back();
  std::string answer;
  if (request == "reload") {
    ReloadReport r = daemon->reload();
    answer = std::string(r.ok ? "ok " : "error ") + r.summary + "\n";
    for (const auto& d : r.diagnostics) answer += d + "\n";
  } else {
    answer = "error unknown request \"" + request + "\" (expected: reload)\n";
  }
  for (size_t done = 0; done < answer.size();) {
    ssize_t w = ::write(fd, answer.data() + done, answer.size() - done);
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  ::close(fd);
  return 0;
}

int listen_control(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof addr.sun_path) return -1;
  std::strcpy(addr.sun_path, path.c_str());
  // Root only: a reload can restart the PACS.
  const mode_t old = ::umask(0077);
  int r = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (r != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int supervise(const SuperviseOptions& options) {
  spdlog::set_pattern("%^%l%$: %v");  // the journal adds time and unit
  std::unique_ptr<SdBusSystemd> systemd;
  try {
    systemd = SdBusSystemd::system_bus();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 4;
  }
  const HostFacts host = detect_host_facts();
  RealProber prober;
  RealCommandRunner commands;
  Applier applier({options.root, options.journal}, *systemd, prober, commands);
  Reloader reloader(options.config_path, under_root(options.root, paths::kSecretsDir), applier, host);
  // The units whose state the operator sees (PostgreSQL's real unit is the
  // cluster instance; postgresql.service is only Debian's umbrella).
  const std::vector<std::string> managed = {"postgresql@" + host.postgresql_version + "-main.service",
                                            "radflare-db-setup.service", "orthanc.service", "nginx.service"};
  UnitModel units(managed);
  Daemon daemon{options, reloader, units, {}};

  // A journal left behind: the last apply was interrupted. Converge to the
  // TOML on disk; if that fails, go back to the files as they were before it.
  auto interrupted = applier.interrupted_apply();
  if (interrupted) {
    spdlog::warn("the previous apply was interrupted; converging to {}", options.config_path);
    applier.revert_to(interrupted);
  }
  if (!daemon.reload().ok && interrupted && daemon.last.outcome == "invalid config") {
    spdlog::warn("going back to the files as they were before the interrupted apply");
    if (auto problem = applier.restore_interrupted(*interrupted); !problem.empty()) spdlog::error("{}", problem);
  }
  applier.settle_interrupted_apply();

  sd_event* event = nullptr;
  if (sd_event_default(&event) < 0) return 4;
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sd_event_add_signal(event, nullptr, s, on_signal, &daemon);
  int control = listen_control(options.control_socket);
  if (control < 0) {
    spdlog::critical("cannot listen on {}: {}", options.control_socket, std::strerror(errno));
    return 4;
  }
  sd_event_add_io(event, nullptr, control, EPOLLIN, on_control, &daemon);
  // The live unit model, on its own bus connection inside the event loop.
  UnitWatcher watcher(units, [&daemon] { daemon.write_state(); });
  sd_bus* watch_bus = nullptr;
  std::string watch_problem = sd_bus_open_system(&watch_bus) < 0
                                  ? "cannot open the system bus"
                                  : watcher.start(watch_bus, event, managed);
  if (!watch_problem.empty()) spdlog::warn("unit states will not be tracked: {}", watch_problem);
  sd_event_set_watchdog(event, 1);  // pings WATCHDOG=1 when WatchdogSec= is set
  spdlog::info("supervising {}; control socket {}", options.config_path, options.control_socket);
  int r = sd_event_loop(event);
  ::close(control);
  ::unlink(options.control_socket.c_str());
  sd_event_unref(event);
  return r < 0 ? 4 : 0;
}

int request_reload(const std::string& control_socket) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, control_socket.c_str(), sizeof addr.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::cerr << "radflare reload: the supervisor is not running (cannot connect to " << control_socket << ": "
              << std::strerror(errno) << ")\n";
    if (fd >= 0) ::close(fd);
    return 4;
  }
  const char request[] = "reload\n";
  if (::write(fd, request, sizeof request - 1) < 0) {
    ::close(fd);
    return 4;
  }
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (answer.starts_with("ok ")) {
    std::cout << answer.substr(3);
    return 0;
  }
  std::cerr << (answer.starts_with("error ") ? answer.substr(6) : "no answer from the supervisor\n");
  return answer.find("is not valid") != std::string::npos ? 1 : 4;
}

}  // namespace radflare
