#include "daemon/control.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace radflare {

namespace {

void write_all(int fd, const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w <= 0) return;
    done += static_cast<size_t>(w);
  }
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

int ControlServer::listen(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ::unlink(path.c_str());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  std::strcpy(addr.sun_path, path.c_str());
  // Root only: a reload can restart the PACS, and a rotation changes who gets in.
  const mode_t old = ::umask(0077);
  int r = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (r != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void ControlServer::serve_one(int listen_fd) {
  int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[256] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  std::string request(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!request.empty() && (request.back() == '\n' || request.back() == '\r')) request.pop_back();
  std::string command = request, argument;
  if (auto space = request.find(' '); space != std::string::npos) {
    command = request.substr(0, space);
    argument = request.substr(space + 1);
  }
  ControlAnswer answer;
  if (auto it = handlers_.find(command); it != handlers_.end()) {
    try {
      answer = it->second(argument);
    } catch (const std::exception& e) {
      answer = {false, std::string("failed: ") + e.what(), {}, false};
    }
  } else {
    std::string known;
    for (const auto& [name, handler] : handlers_) known += (known.empty() ? "" : ", ") + name;
    answer.summary = "unknown request \"" + one_line(command) + "\" (expected one of: " + known + ")";
  }
  std::string text = std::string(answer.ok ? "ok " : answer.invalid_config ? "invalid " : "error ") +
                     one_line(answer.summary) + "\n";
  for (const auto& d : answer.details) text += one_line(d) + "\n";
  write_all(fd, text);
  ::close(fd);
}

int send_control_request(const std::string& socket_path, const std::string& request) {
  const std::string command = request.substr(0, request.find(' '));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::cerr << "radflare " << command << ": the supervisor is not running (cannot connect to " << socket_path
              << ": " << std::strerror(errno) << ")\n";
    if (fd >= 0) ::close(fd);
    return 4;
  }
  write_all(fd, request + "\n");
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (answer.starts_with("ok ")) {
    std::cout << answer.substr(3);
    return 0;
  }
  if (answer.starts_with("invalid ")) {
    std::cerr << answer.substr(8);
    return 1;
  }
  std::cerr << (answer.starts_with("error ") ? answer.substr(6) : "no answer from the supervisor\n");
  return 4;
}

}  // namespace radflare
