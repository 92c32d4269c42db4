// Running the rendered nginx files in a real nginx, in a temp directory,
// without root paths: the appliance paths inside them (paths.h) are moved
// under the temp dir by plain string replacement. Test-only (linked into
// radflare_tests through nginx_harness_test.cc).
#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "plan/plan.h"

namespace radflare::nginx_testing {

bool nginx_installed();

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

// A loopback TCP port nobody listens on right now.
int free_port();

void write_self_signed_cert(const std::filesystem::path& cert, const std::filesystem::path& key);

// A few files shaped like OHIF's dist, at <dir>/<paths::kOhifServed>.
void write_fake_ohif(const std::filesystem::path& dir);

// `text` with every appliance path it mentions moved under `dir`.
std::string relocate(const std::string& text, const std::filesystem::path& dir);

// Writes the planned files under `dir` (relocated) and <dir>/nginx.conf, a
// minimal main configuration (foreground, single process, logs and temp
// files in `dir`) whose http block includes the site file.
void write_nginx_tree(const std::vector<PlannedFile>& nginx_files, const std::vector<PlannedFile>& ohif_files,
                      const std::filesystem::path& dir);

// `nginx -t` on <dir>/nginx.conf: whether it passed, and what it said.
std::pair<bool, std::string> nginx_test_config(const std::filesystem::path& dir);

// nginx started on <dir>/nginx.conf, ready once `port` accepts connections;
// stopped (by its pid) when destroyed.
class NginxProcess {
 public:
  NginxProcess(const std::filesystem::path& dir, int port);
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

 private:
  pid_t pid_ = -1;
};

}  // namespace radflare::nginx_testing
