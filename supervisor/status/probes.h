// What the status page knows beyond the daemon's own board: Orthanc,
// PostgreSQL, the host and the webhook forwarder, each probed by its own
// thread every `interval` (and at once after a reload). A request to the
// page only reads the last results, so a database that takes its 3 s
// connect timeout slows nothing but its own probe.
//
//   orthanc     GET /system, /statistics, /plugins (+ /plugins/ID once per
//               change), DICOMweb `studies?limit=1`, and the newest
//               NewStudy/StableStudy from /changes — on loopback with the
//               internal credential;
//   postgresql  with Orthanc's settings, in a child process (radflare-pg-probe,
//               probe/database_probe.h): SELECT 1 round trip, version,
//               database size, SSL in use;
//   host        /proc/uptime, /proc/loadavg, /proc/meminfo, statvfs of the
//               data volumes, the forwarder's <queue_path>/stats.json.
//
// The Config the probes hold has secrets; no result carries one.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"

namespace radflare {

// ---- pure pieces (probes_test.cc)
struct MemInfo {
  int64_t total_bytes = 0;
  int64_t available_bytes = 0;
};
std::optional<MemInfo> parse_meminfo(std::string_view text);
std::optional<std::array<double, 3>> parse_loadavg(std::string_view text);
std::optional<double> parse_uptime(std::string_view text);

struct DataVolume {
  std::string path;
  std::string purpose;  // "system", "DICOM files", "PostgreSQL data", "webhook queue"
};
// The folders whose volume's free space matters for this config.
std::vector<DataVolume> data_volumes(const Config& config);

// The page's Orthanc facts from its REST answers (missing members are left out).
nlohmann::json orthanc_facts(const nlohmann::json& system, const nlohmann::json& statistics);
// The forwarder's stats.json without its settings (counts, errors, times).
nlohmann::json webhook_facts(const nlohmann::json& stats, time_t now);

// Follows Orthanc's /changes to know the newest study change. `get` answers a
// REST path with its JSON (nullopt on failure). The first update looks back at
// most kLookBack changes; later ones read only what is new.
class ChangesTail {
 public:
  using Get = std::function<std::optional<nlohmann::json>(const std::string& path)>;
  bool update(const Get& get);     // false when Orthanc did not answer
  nlohmann::json last_study() const;  // {"time", "orthanc_id", "change"} or null
  static constexpr int64_t kPage = 1000;
  static constexpr int64_t kLookBack = 20000;

 private:
  void consider(const nlohmann::json& changes);
  int64_t cursor_ = -1;  // last sequence number read
  int64_t best_seq_ = -1;
  nlohmann::json best_;
};

// ---- the threads
class StatusProbes {
 public:
  explicit StatusProbes(std::chrono::milliseconds interval = std::chrono::seconds(5));
  ~StatusProbes();
  StatusProbes(const StatusProbes&) = delete;
  StatusProbes& operator=(const StatusProbes&) = delete;

  // The running config (nullptr: none yet); every probe runs again now.
  void configure(std::shared_ptr<const Config> config);
  void start();
  void stop();
  // {"orthanc": …, "postgresql": …, "host": …, "webhook": …}; each with
  // "checked_at" (ISO) and "age_seconds" (null until the first run).
  nlohmann::json snapshot(time_t now) const;

 private:
  struct Worker {
    std::string name;
    std::function<nlohmann::json(const Config*)> run;
    std::thread thread;
  };
  void loop(Worker& worker);

  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  uint64_t generation_ = 0;
  std::shared_ptr<const Config> config_;
  nlohmann::json results_ = nlohmann::json::object();
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace radflare
