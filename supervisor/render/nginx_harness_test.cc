// Implementation of nginx_harness.h (named *_test.cc so it is linked into
// radflare_tests only).
#include "render/nginx_harness.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "render/paths.h"

namespace radflare::nginx_testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNginx = "/usr/sbin/nginx";

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE_MESSAGE(out.good(), "cannot write " << p);
}

fs::path under(const fs::path& dir, const std::string& absolute) { return dir / absolute.substr(1); }

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

bool nginx_installed() { return ::access(kNginx, X_OK) == 0; }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "radflare-nginx-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;  // best effort in a destructor
  fs::remove_all(path, ec);
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

void write_self_signed_cert(const fs::path& cert, const fs::path& key) {
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout '" +
                    key.string() + "' -out '" + cert.string() + "' >/dev/null 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl could not make a test certificate");
}

void write_fake_ohif(const fs::path& dir) {
  fs::path ohif = under(dir, paths::kOhifServed);
  write(ohif / "index.html", "<!doctype html><title>fake OHIF</title><script src=\"/ohif/app-config.js\"></script>\n");
  write(ohif / "manifest.json", "{\"name\": \"OHIF Viewer\"}\n");
  write(ohif / "app.bundle.0123456789abcdef.js", "console.log('bundle');\n");
  write(ohif / "app.bundle.css", "body { color: black; }\n" + std::string(4096, ' ') + "\n");
  write(ohif / "ort/module.mjs", "export const x = 1;\n");
}

std::string relocate(const std::string& text, const fs::path& dir) {
  static const std::array<std::string, 7> kMoved = {
      paths::kNginxSite, paths::kNginxUsers,  paths::kNginxUpstreamAuth, paths::kOhifServed,
      paths::kOhifAppConfig, paths::kAcmeWebroot, paths::kTlsDir};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool moved = false;
    for (const auto& p : kMoved) {
      if (text.compare(i, p.size(), p) == 0) {
        out += dir.string() + p;
        i += p.size();
        moved = true;
        break;
      }
    }
    if (!moved) out += text[i++];
  }
  return out;
}

void write_nginx_tree(const std::vector<PlannedFile>& nginx_files, const std::vector<PlannedFile>& ohif_files,
                      const fs::path& dir) {
  for (const auto* files : {&nginx_files, &ohif_files})
    for (const auto& f : *files) write(under(dir, f.path), relocate(f.bytes, dir));
  fs::create_directories(dir / "temp");
  const std::string d = dir.string();
  write(dir / "nginx.conf",
        "daemon off;\n"
        "master_process off;\n"
        "pid " + d + "/nginx.pid;\n"
        "error_log " + d + "/error.log info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        "    access_log " + d + "/access.log;\n"
        "    client_body_temp_path " + d + "/temp/body;\n"
        "    proxy_temp_path " + d + "/temp/proxy;\n"
        "    fastcgi_temp_path " + d + "/temp/fastcgi;\n"
        "    uwsgi_temp_path " + d + "/temp/uwsgi;\n"
        "    scgi_temp_path " + d + "/temp/scgi;\n"
        "    include " + relocate(paths::kNginxSite, dir) + ";\n"
        "}\n");
}

std::pair<bool, std::string> nginx_test_config(const fs::path& dir) {
  std::string cmd = std::string(kNginx) + " -t -c '" + (dir / "nginx.conf").string() + "' -p '" + dir.string() +
                    "/' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string output;
  std::array<char, 4096> buf{};
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  int status = ::pclose(p);
  return {WIFEXITED(status) && WEXITSTATUS(status) == 0, output};
}

NginxProcess::NginxProcess(const fs::path& dir, int port) {
  const std::string conf = (dir / "nginx.conf").string();
  const std::string prefix = dir.string() + "/";
  const std::string log = (dir / "nginx.out").string();
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec (the test has threads).
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execl(kNginx, "nginx", "-c", conf.c_str(), "-p", prefix.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 500; ++i) {
    if (port_accepts(port)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("nginx exited at start: " << read_all(log) << read_all(dir / "error.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGTERM);  // the destructor does not run when the constructor fails
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  FAIL("nginx did not listen on port " << port << ": " << read_all(dir / "error.log"));
}

NginxProcess::~NginxProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace radflare::nginx_testing
