// detect_host_facts(): the real machine, read once per command.
#include <unistd.h>

#include <filesystem>

#include "config/load.h"

namespace radflare {

HostFacts detect_host_facts() {
  HostFacts h;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 0) h.cpu_count = static_cast<int>(cpus);
  long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) h.memory_mb = static_cast<int64_t>(pages) * page_size / (1024 * 1024);
  // The newest installed PostgreSQL server (Debian 12: 15, Ubuntu 24.04: 16).
  std::error_code ec;
  int newest = 0;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    int v = std::atoi(e.path().filename().c_str());
    if (v > newest && std::filesystem::exists(e.path() / "bin/postgres")) newest = v;
  }
  if (newest > 0) h.postgresql_version = std::to_string(newest);
  h.explorer2_installed = std::filesystem::exists(h.orthanc_plugin_dir + "/libOrthancExplorer2.so");
  return h;
}

}  // namespace radflare
