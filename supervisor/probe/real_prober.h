// The probes of the real components, retried until each answers or its
// deadline passes:
//   orthanc     GET /changes?last on loopback with the internal credential
//               (it touches the database, unlike /system which is cached);
//   postgresql  SELECT 1 with Orthanc's own settings (radflare-pg-probe, a child);
//   nginx       on the HTTP port, /.radflare/nginx-generation answering the
//               digest of the files just written (a reload returns before
//               nginx's old workers stop answering).
#pragma once

#include <chrono>

#include "probe/probe.h"

namespace radflare {

class RealProber final : public Prober {
 public:
  std::vector<ProbeResult> probe(const Config& config) override;

  // Orthanc restarts in 1-3 s here; 20 s leaves room and keeps a revert under 30 s.
  std::chrono::milliseconds deadline{20000};
  // Between attempts: first_wait, doubling up to interval. nginx's old workers
  // stop answering 20-250 ms after a reload; a flat 250 ms made every nginx
  // reload wait 250-500 ms for a probe (measured: a CORS reload 594 ms).
  std::chrono::milliseconds first_wait{10};
  std::chrono::milliseconds interval{250};
};

// One attempt each (the status page calls these on its own schedule).
ProbeResult probe_orthanc(const Config& config);
ProbeResult probe_postgresql(const Config& config);
ProbeResult probe_nginx(const Config& config);

// Runs a program with posix_spawn, capturing stdout and stderr.
class RealCommandRunner final : public CommandRunner {
 public:
  int run(const std::vector<std::string>& argv, std::string& output) override;
};

}  // namespace radflare
