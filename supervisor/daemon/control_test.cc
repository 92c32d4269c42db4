#include "daemon/control.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "secrets/store.h"

using namespace radflare;
namespace fs = std::filesystem;

namespace {
// Serves `count` requests on a fresh socket in a thread; returns the socket path.
struct Served {
  fs::path dir = fs::temp_directory_path() / ("radflare-control-" + generate_password());
  std::string path = (dir / "control.sock").string();
  ControlServer server;
  int fd = -1;
  Served() {
    server.add("echo", [](const std::string& arg) { return ControlAnswer{true, "got " + arg, {"detail"}, false}; });
    server.add("bad", [](const std::string&) { return ControlAnswer{false, "is not valid", {"f:1:2: error"}, true}; });
    server.add("throws", [](const std::string&) -> ControlAnswer { throw std::runtime_error("boom"); });
    fd = server.listen(path);
  }
  ~Served() {
    if (fd >= 0) ::close(fd);
    fs::remove_all(dir);
  }
  int ask(const std::string& request) {
    std::thread t([this] { server.serve_one(fd); });
    int code = send_control_request(path, request);
    t.join();
    return code;
  }
};
}  // namespace

TEST_CASE("control: the socket is root only, and answers map to exit codes") {
  Served s;
  REQUIRE(s.fd >= 0);
  struct stat st{};
  REQUIRE(::stat(s.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0077) == 0);  // nobody but root
  CHECK(s.ask("echo hello") == 0);
  CHECK(s.ask("bad") == 1);
  CHECK(s.ask("throws") == 4);
  CHECK(s.ask("nonsense") == 4);
}

TEST_CASE("control: no supervisor means exit 4 with a sentence") {
  CHECK(send_control_request("/nonexistent/radflare.sock", "reload") == 4);
}
