#include "daemon/supervise.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "acme/renewal.h"
#include "apply/applier.h"
#include "daemon/control.h"
#include "daemon/password_rotation.h"
#include "daemon/reloader.h"
#include "daemon/status_board.h"
#include "plan/write.h"
#include "probe/real_prober.h"
#include "render/paths.h"
#include "status/server.h"
#include "systemd/sdbus_client.h"
#include "systemd/unit_model.h"
#include "systemd/unit_watcher.h"

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
  StatusBoard& board;
  ReloadReport last;
  std::function<void()> after_reload;  // re-arms the task timers, republishes

  ReloadReport reload() {
    // systemd 252+: RELOADING=1 needs MONOTONIC_USEC, else `systemctl reload` hangs.
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
               static_cast<unsigned long long>(monotonic_usec()), options.config_path.c_str());
    last = reloader.reload();
    if (!last.ok) units.note("radflare.service", "reload " + last.outcome + ": " + last.summary, time(nullptr));
    board.publish("reload", {{"config", options.config_path}, {"time", iso_now()},      {"ok", last.ok},
                             {"outcome", last.outcome},       {"summary", last.summary}, {"diagnostics", last.diagnostics}});
    publish_units();
    if (after_reload) after_reload();
    sd_notifyf(0, "READY=1\nSTATUS=%s", last.summary.c_str());
    return last;
  }

  void publish_units() {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& u : units.units())
      list.push_back({{"unit", u.unit}, {"active_state", u.active_state}, {"sub_state", u.sub_state},
                      {"since", u.since}, {"restarts", u.restarts}});
    nlohmann::json incidents = nlohmann::json::array();
    for (const auto& i : units.incidents()) incidents.push_back({{"time", i.time}, {"unit", i.unit}, {"what", i.what}});
    board.publish("units", std::move(list));
    board.publish("incidents", std::move(incidents));
  }

  // state.json: the board as a file, for people (`jq`) and scripts.
  void write_state() {
    try {
      write_file_atomically(options.state_file, board.snapshot().dump(2) + "\n", 0644);
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

int on_control(sd_event_source*, int listen_fd, uint32_t, void* userdata) {
  static_cast<ControlServer*>(userdata)->serve_one(listen_fd);
  return 0;
}

// One wall-clock timer per DaemonTask, re-armed after each run and reload.
struct TaskTimer {
  DaemonTask* task = nullptr;
  sd_event_source* source = nullptr;

  void arm(sd_event* event) {
    const time_t now = time(nullptr);
    const time_t due = task->next_due(now);
    if (!source && sd_event_add_time(event, &source, CLOCK_REALTIME, 0, 1000000, on_time, this) < 0) {
      spdlog::error("{}: cannot add a timer; it will not run on schedule", task->name());
      return;
    }
    if (due <= 0) {
      sd_event_source_set_enabled(source, SD_EVENT_OFF);
      return;
    }
    sd_event_source_set_time(source, static_cast<uint64_t>(std::max(due, now)) * 1000000u);
    sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
  }

  static int on_time(sd_event_source* source, uint64_t, void* userdata) {
    auto* self = static_cast<TaskTimer*>(userdata);
    try {
      self->task->run(time(nullptr));
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", self->task->name(), e.what());
    }
    self->arm(sd_event_source_get_event(source));
    return 0;
  }
};

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
  StatusBoard board;
  Daemon daemon{options, reloader, units, board, {}, {}};
  board.on_change([&daemon] { daemon.write_state(); });

  // Scheduled work, each with a control command to run it now.
  PasswordRotation rotation(reloader, board, under_root(options.root, paths::kAdminRotationRecord));
  rotation.set_refuses_old(nginx_refuses_password);
  // tls.mode = "acme": issuance and renewal (installs the placeholder pair now, before the first apply).
  acme::AcmeRenewal certificates(reloader.current(), board, *systemd, commands, options.root);
  std::vector<DaemonTask*> tasks = {&rotation, &certificates};
  ControlServer control;
  control.add("reload", [&daemon](const std::string&) {
    ReloadReport r = daemon.reload();
    return ControlAnswer{r.ok, r.summary, r.diagnostics, r.outcome == "invalid config"};
  });
  control.add("rotate-password", [&](const std::string&) {
    ControlAnswer answer = rotation.rotate_now(time(nullptr));
    if (daemon.after_reload) daemon.after_reload();
    return answer;
  });
  control.add("renew", [&](const std::string& argument) {
    if (!argument.empty() && argument != "--force") return ControlAnswer{false, "usage: renew [--force]", {}, false};
    ControlAnswer answer = certificates.renew_now(time(nullptr), argument == "--force");
    if (daemon.after_reload) daemon.after_reload();  // re-arms the timers (next attempt moved)
    return answer;
  });

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
  int control_fd = control.listen(options.control_socket);
  if (control_fd < 0) {
    spdlog::critical("cannot listen on {}: {}", options.control_socket, std::strerror(errno));
    return 4;
  }
  sd_event_add_io(event, nullptr, control_fd, EPOLLIN, on_control, &control);

  std::vector<TaskTimer> timers(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) timers[i].task = tasks[i];
  // The status page (status/server.h), on its own threads.
  StatusServer status_page(board);
  // After every reload, rotation and renewal: due dates may have moved, and
  // the status page gets a copy of the config that now runs.
  daemon.after_reload = [&] {
    for (auto& t : timers) t.arm(event);
    rotation.publish();
    status_page.configure(reloader.current() ? &*reloader.current() : nullptr);
  };
  daemon.after_reload();

  // The live unit model, on its own bus connection inside the event loop.
  UnitWatcher watcher(units, [&daemon] { daemon.publish_units(); });
  sd_bus* watch_bus = nullptr;
  std::string watch_problem = sd_bus_open_system(&watch_bus) < 0
                                  ? "cannot open the system bus"
                                  : watcher.start(watch_bus, event, managed);
  if (!watch_problem.empty()) spdlog::warn("unit states will not be tracked: {}", watch_problem);
  sd_event_set_watchdog(event, 1);  // pings WATCHDOG=1 when WatchdogSec= is set
  spdlog::info("supervising {}; control socket {}", options.config_path, options.control_socket);
  int r = sd_event_loop(event);
  status_page.stop();
  ::close(control_fd);
  ::unlink(options.control_socket.c_str());
  sd_event_unref(event);
  return r < 0 ? 4 : 0;
}

int request_reload(const std::string& control_socket) { return send_control_request(control_socket, "reload"); }

}  // namespace radflare
