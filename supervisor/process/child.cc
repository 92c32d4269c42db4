#include "process/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

extern char** environ;

namespace radflare {

namespace {

constexpr size_t kMaxOutput = 64 * 1024;

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    if (!extra.count(entry.substr(0, entry.find('=')))) out.push_back(std::move(entry));
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

}  // namespace

ChildResult RealChildRunner::run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                 std::chrono::milliseconds deadline) {
  ChildResult result;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    result.output = std::string("cannot make a pipe: ") + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group (killed whole at the deadline); default signal mask
  // (the supervisor blocks SIGTERM/SIGHUP for its signalfd).
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = merged_environment(env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int r = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(pipefd[1]);
  if (r != 0) {
    ::close(pipefd[0]);
    result.output = "cannot run " + argv.at(0) + ": " + std::strerror(r);
    return result;
  }

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto kill_at = start + deadline;
  bool terminated = false, open = true;
  std::array<char, 4096> buf{};
  while (open) {
    const auto now = clock::now();
    if (now >= kill_at) {
      ::kill(-pid, terminated ? SIGKILL : SIGTERM);
      if (!terminated) {
        result.timed_out = terminated = true;
        kill_at = now + std::chrono::seconds(5);
      } else {
        break;  // SIGKILL sent: stop reading (a grandchild may hold the pipe)
      }
    }
    if (feed_watchdog_) sd_notify(0, "WATCHDOG=1");  // waiting for a child is not a hang
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - clock::now()).count();
    pollfd p{pipefd[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::clamp<long long>(wait, 0, 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    ssize_t got = ::read(pipefd[0], buf.data(), buf.size());
    if (got <= 0) {
      open = false;
    } else {
      result.output.append(buf.data(), static_cast<size_t>(got));
      if (result.output.size() > kMaxOutput) result.output.erase(0, result.output.size() - kMaxOutput);
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  if (::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !result.timed_out) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace radflare
