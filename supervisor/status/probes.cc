#include "status/probes.h"

#include <httplib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "probe/database_probe.h"
#include "status/time_text.h"
#include "status/verdict.h"

namespace radflare {

using nlohmann::json;

namespace {

std::string read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double round_to(double v, int decimals) {
  double f = 1;
  for (int i = 0; i < decimals; ++i) f *= 10;
  return static_cast<double>(static_cast<int64_t>(v * f + (v >= 0 ? 0.5 : -0.5))) / f;
}

int64_t json_int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return -1;
  if (it->is_number()) return it->get<int64_t>();
  if (it->is_string()) {  // Orthanc writes TotalDiskSize as a string
    int64_t v = -1;
    const std::string& s = it->get_ref<const std::string&>();
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  return -1;
}

// ------------------------------------------------------------ Orthanc
class OrthancProbe {
 public:
  json run(const Config& config) {
    httplib::Client client("127.0.0.1", config.orthanc.http_port);
    client.set_connection_timeout(2);
    client.set_read_timeout(5);
    client.set_keep_alive(true);
    client.set_basic_auth(kProxyUser, config.internal.proxy_password.reveal());
    std::string last_problem;
    auto get = [&](const std::string& path) -> std::optional<json> {
      auto res = client.Get(path);
      if (!res) {
        last_problem = "no answer on 127.0.0.1:" + std::to_string(config.orthanc.http_port) + " (" +
                       httplib::to_string(res.error()) + ")";
        return std::nullopt;
      }
      if (res->status != 200) {
        last_problem = "GET " + path.substr(0, path.find('?')) + " answered HTTP " + std::to_string(res->status);
        return std::nullopt;
      }
      auto parsed = json::parse(res->body, nullptr, false);
      if (parsed.is_discarded()) {
        last_problem = "GET " + path.substr(0, path.find('?')) + " answered something that is not JSON";
        return std::nullopt;
      }
      return parsed;
    };

    json out = {{"ok", false}, {"error", ""}, {"address", "127.0.0.1:" + std::to_string(config.orthanc.http_port)}};
    const bool dicomweb = config.orthanc.has_plugin("dicomweb");
    out["dicomweb"] = {{"enabled", dicomweb}, {"root", config.orthanc.dicomweb_root}, {"ok", false}, {"detail", ""}};
    // /statistics reads the database; /system alone is cached by Orthanc.
    auto statistics = get("/statistics");
    auto system = statistics ? get("/system") : std::nullopt;
    if (!statistics || !system) {
      out["error"] = last_problem;
      out["last_study"] = tail_.last_study();
      return out;
    }
    out.update(orthanc_facts(*system, *statistics));
    out["ok"] = true;
    if (auto plugins = get("/plugins"); plugins && plugins->is_array()) {
      json list = json::array();
      for (const auto& id : *plugins) {
        if (!id.is_string()) continue;
        const std::string name = id.get<std::string>();
        auto known = plugin_versions_.find(name);
        if (known == plugin_versions_.end()) {
          auto info = get("/plugins/" + name);
          std::string version = info && info->contains("Version") && (*info)["Version"].is_string()
                                    ? (*info)["Version"].get<std::string>()
                                    : "";
          known = plugin_versions_.emplace(name, version).first;
        }
        list.push_back({{"name", name}, {"version", known->second}});
      }
      out["plugins"] = std::move(list);
    }
    if (dicomweb) {
      httplib::Headers accept = {{"Accept", "application/dicom+json"}};
      const std::string path = config.orthanc.dicomweb_root + "studies?limit=1";
      auto res = client.Get(path, accept);
      out["dicomweb"]["ok"] = res && res->status == 200;
      out["dicomweb"]["detail"] = res ? "QIDO " + config.orthanc.dicomweb_root + "studies answered HTTP " +
                                            std::to_string(res->status)
                                      : "no answer (" + httplib::to_string(res.error()) + ")";
    }
    tail_.update(get);
    out["last_study"] = tail_.last_study();
    return out;
  }

 private:
  ChangesTail tail_;
  std::map<std::string, std::string> plugin_versions_;
};

// ------------------------------------------------------------ PostgreSQL
json probe_database(const Config& config) {
  const auto& db = config.database;
  const bool local = db.mode == DatabaseMode::Local;
  json out = {{"used", config.orthanc.has_plugin("postgresql")},
              {"mode", local ? "local" : "external"},
              {"host", db.host},
              {"port", db.port},
              {"database", db.name},
              {"user", db.user},
              {"sslmode", db.sslmode},
              {"ok", false},
              {"error", ""}};
  if (!out["used"].get<bool>()) return out;
  // Not on the event loop: the runner leaves the watchdog alone.
  RealChildRunner runner(false);
  const DatabaseFacts facts = run_database_probe(db, "radflare-status", true, runner);
  if (!facts.ok) {
    out["error"] = facts.error;
    return out;
  }
  out["ok"] = true;
  out["latency_ms"] = round_to(facts.latency_ms, 3);
  out["server_version"] = facts.server_version;
  out["ssl"] = facts.ssl;
  if (facts.size_bytes >= 0) out["size_bytes"] = facts.size_bytes;
  return out;
}

// ------------------------------------------------------------ host
json probe_host(const Config* config) {
  json out = json::object();
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0) out["hostname"] = name;
  if (auto up = parse_uptime(read_small_file("/proc/uptime"))) out["uptime_seconds"] = static_cast<int64_t>(*up);
  if (auto load = parse_loadavg(read_small_file("/proc/loadavg"))) out["load"] = {(*load)[0], (*load)[1], (*load)[2]};
  out["cpus"] = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  if (auto mem = parse_meminfo(read_small_file("/proc/meminfo"))) {
    out["memory"] = {{"total_bytes", mem->total_bytes},
                     {"available_bytes", mem->available_bytes},
                     {"available_percent",
                      mem->total_bytes > 0 ? round_to(100.0 * mem->available_bytes / mem->total_bytes, 1) : 0.0}};
  }
  std::vector<DataVolume> volumes = config ? data_volumes(*config) : std::vector<DataVolume>{{"/", "system"}};
  // One row per file system, named by the first folder on it.
  std::map<dev_t, size_t> seen;
  json disks = json::array();
  for (const auto& v : volumes) {
    std::filesystem::path p = v.path;
    struct stat st {};
    while (::stat(p.c_str(), &st) != 0 && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
    struct statvfs fs {};
    if (::statvfs(p.c_str(), &fs) != 0) continue;
    if (auto it = seen.find(st.st_dev); it != seen.end()) {
      auto& row = disks[it->second];
      row["purpose"] = row["purpose"].get<std::string>() + ", " + v.purpose;
      continue;
    }
    const double total = static_cast<double>(fs.f_blocks) * fs.f_frsize;
    const double free = static_cast<double>(fs.f_bavail) * fs.f_frsize;
    const double percent = total > 0 ? round_to(100.0 * free / total, 1) : 0.0;
    seen[st.st_dev] = disks.size();
    disks.push_back({{"path", v.path},
                     {"purpose", v.purpose},
                     {"total_bytes", static_cast<int64_t>(total)},
                     {"free_bytes", static_cast<int64_t>(free)},
                     {"free_percent", percent},
                     {"level", to_string(disk_level(percent))}});
  }
  out["disks"] = std::move(disks);
  out["thresholds"] = {{"disk_amber_percent", kDiskAmberPercent},
                       {"disk_red_percent", kDiskRedPercent},
                       {"memory_amber_percent", kMemoryAmberPercent}};
  return out;
}

json probe_webhook(const Config* config, time_t now) {
  // Only the shipped forwarder writes stats.json (an operator's own plugin does not).
  if (!config || !config->webhook.enabled() || !config->python.script.empty()) return {{"enabled", false}};
  json out = {{"enabled", true}, {"queue", config->webhook.queue == QueueType::Memory ? "memory" : "persistent"}};
  const std::string path = config->webhook.queue_path + "/stats.json";
  const std::string text = read_small_file(path);
  auto stats = json::parse(text, nullptr, false);
  if (text.empty() || stats.is_discarded() || !stats.is_object()) {
    out["error"] = "no statistics in " + path + " (the forwarder writes them while Orthanc runs)";
    return out;
  }
  out.update(webhook_facts(stats, now));
  return out;
}

}  // namespace

// ------------------------------------------------------------ pure pieces
std::optional<MemInfo> parse_meminfo(std::string_view text) {
  MemInfo m;
  bool total = false, available = false;
  std::istringstream in{std::string(text)};
  std::string key;
  int64_t kb = 0;
  std::string unit;
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    if (!(l >> key >> kb)) continue;
    if (key == "MemTotal:") m.total_bytes = kb * 1024, total = true;
    if (key == "MemAvailable:") m.available_bytes = kb * 1024, available = true;
  }
  if (!total || !available) return std::nullopt;
  return m;
}

std::optional<std::array<double, 3>> parse_loadavg(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::array<double, 3> l{};
  if (!(in >> l[0] >> l[1] >> l[2])) return std::nullopt;
  return l;
}

std::optional<double> parse_uptime(std::string_view text) {
  std::istringstream in{std::string(text)};
  double up = 0;
  if (!(in >> up)) return std::nullopt;
  return up;
}

std::vector<DataVolume> data_volumes(const Config& config) {
  std::vector<DataVolume> v = {{"/", "system"}};
  if (config.database.files == FileStorage::Disk) v.push_back({config.orthanc.storage_dir, "DICOM files"});
  if (config.database.mode == DatabaseMode::Local && config.orthanc.has_plugin("postgresql"))
    v.push_back({"/var/lib/postgresql", "PostgreSQL data"});
  if (config.webhook.enabled() && config.python.script.empty()) v.push_back({config.webhook.queue_path, "webhook queue"});
  return v;
}

json orthanc_facts(const json& system, const json& statistics) {
  json out = json::object();
  auto copy_text = [&](const json& from, const char* key, const char* as) {
    if (from.contains(key) && from[key].is_string()) out[as] = from[key];
  };
  copy_text(system, "Version", "version");
  copy_text(system, "Name", "name");
  copy_text(system, "DicomAet", "aet");
  if (system.contains("DicomPort") && system["DicomPort"].is_number()) out["dicom_port"] = system["DicomPort"];
  copy_text(system, "DatabaseBackendPlugin", "database_plugin");
  for (auto [key, as] : {std::pair{"CountPatients", "patients"}, {"CountStudies", "studies"},
                         {"CountSeries", "series"}, {"CountInstances", "instances"}, {"TotalDiskSize", "storage_bytes"}}) {
    int64_t v = json_int(statistics, key);
    if (v >= 0) out[as] = v;
  }
  return out;
}

json webhook_facts(const json& stats, time_t now) {
  json out = json::object();
  for (const char* key : {"depth", "dead", "delivered", "failed_attempts", "dead_lettered", "replayed", "received",
                          "oldest_pending_seconds", "intake_backlog", "intake_dropped"}) {
    if (stats.contains(key) && stats[key].is_number()) out[key] = stats[key];
  }
  for (const char* key : {"last_error", "last_delivery_at", "updated_at", "queue_type"}) {
    if (stats.contains(key) && stats[key].is_string()) out[key] = stats[key];
  }
  if (stats.contains("delivering") && stats["delivering"].is_boolean()) out["delivering"] = stats["delivering"];
  if (stats.contains("settings_problems") && stats["settings_problems"].is_array()) {
    json problems = json::array();
    for (const auto& p : stats["settings_problems"])
      if (p.is_string()) problems.push_back(p);
    out["settings_problems"] = std::move(problems);
  }
  out["stats_age_seconds"] = nullptr;
  if (out.contains("updated_at"))
    if (auto t = parse_iso_utc(out["updated_at"].get<std::string>()))
      out["stats_age_seconds"] = std::max<int64_t>(0, now - *t);
  return out;
}

void ChangesTail::consider(const json& changes) {
  if (!changes.is_array()) return;
  for (const auto& c : changes) {
    if (!c.is_object() || !c.contains("Seq") || !c["Seq"].is_number()) continue;
    const int64_t seq = c["Seq"].get<int64_t>();
    const std::string type = c.value("ChangeType", "");
    if ((type == "NewStudy" || type == "StableStudy") && seq > best_seq_) {
      best_seq_ = seq;
      auto t = parse_iso_utc(c.value("Date", ""));
      best_ = {{"time", t ? json(iso_utc(*t)) : json()}, {"orthanc_id", c.value("ID", "")}, {"change", type}};
    }
  }
}

bool ChangesTail::update(const Get& get) {
  auto last = get("/changes?last");
  if (!last || !last->contains("Last") || !(*last)["Last"].is_number()) return false;
  const int64_t newest = (*last)["Last"].get<int64_t>();
  if (newest < cursor_) {  // a new database: start over
    cursor_ = -1;
    best_seq_ = -1;
    best_ = nullptr;
  }
  if (cursor_ < 0) {
    // Look back page by page from the newest change until a study change.
    for (int64_t to = newest; to > 0 && newest - to < kLookBack && best_seq_ < 0; to -= kPage) {
      const int64_t since = std::max<int64_t>(0, to - kPage);
      auto page = get("/changes?since=" + std::to_string(since) + "&limit=" + std::to_string(kPage));
      if (!page) return false;
      consider((*page)["Changes"]);
    }
    cursor_ = newest;
    return true;
  }
  // Forward from where we were, a bounded number of pages per update.
  for (int pages = 0; cursor_ < newest && pages < 20; ++pages) {
    auto page = get("/changes?since=" + std::to_string(cursor_) + "&limit=" + std::to_string(kPage));
    if (!page) return false;
    consider((*page)["Changes"]);
    const int64_t next = page->value("Last", cursor_);
    if (next <= cursor_) break;
    cursor_ = next;
    if (page->value("Done", true)) break;
  }
  return true;
}

json ChangesTail::last_study() const { return best_.is_null() ? json() : best_; }

// ------------------------------------------------------------ threads
StatusProbes::StatusProbes(std::chrono::milliseconds interval) : interval_(interval) {
  auto orthanc = std::make_shared<OrthancProbe>();
  auto add = [this](std::string name, std::function<json(const Config*)> run) {
    auto w = std::make_unique<Worker>();
    w->name = std::move(name);
    w->run = std::move(run);
    workers_.push_back(std::move(w));
  };
  add("orthanc", [orthanc](const Config* c) {
    if (!c) return json{{"ok", false}, {"error", "no configuration is running yet"}};
    return orthanc->run(*c);
  });
  add("postgresql", [](const Config* c) {
    if (!c) return json{{"used", false}};
    return probe_database(*c);
  });
  add("host", [](const Config* c) { return probe_host(c); });
  add("webhook", [](const Config* c) { return probe_webhook(c, time(nullptr)); });
}

StatusProbes::~StatusProbes() { stop(); }

void StatusProbes::configure(std::shared_ptr<const Config> config) {
  {
    std::lock_guard lock(mutex_);
    config_ = std::move(config);
    ++generation_;
  }
  wake_.notify_all();
}

void StatusProbes::start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  for (auto& w : workers_)
    if (!w->thread.joinable()) w->thread = std::thread([this, &worker = *w] { loop(worker); });
}

void StatusProbes::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void StatusProbes::loop(Worker& worker) {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::shared_ptr<const Config> config = config_;
    const uint64_t generation = generation_;
    lock.unlock();
    json result;
    try {
      result = worker.run(config.get());
    } catch (const std::exception& e) {
      result = {{"ok", false}, {"error", std::string("probe failed: ") + e.what()}};
    }
    lock.lock();
    result["checked_at_unix"] = static_cast<int64_t>(time(nullptr));
    results_[worker.name] = std::move(result);
    wake_.wait_for(lock, interval_, [&] { return stopping_ || generation_ != generation; });
  }
}

json StatusProbes::snapshot(time_t now) const {
  std::lock_guard lock(mutex_);
  json out = json::object();
  for (const auto& w : workers_) {
    json section = results_.contains(w->name) ? results_[w->name] : json::object();
    if (section.contains("checked_at_unix")) {
      const auto t = section["checked_at_unix"].get<int64_t>();
      section.erase("checked_at_unix");
      section["checked_at"] = iso_utc(static_cast<time_t>(t));
      section["age_seconds"] = std::max<int64_t>(0, now - t);
    } else {
      section["checked_at"] = nullptr;
      section["age_seconds"] = nullptr;
    }
    out[w->name] = std::move(section);
  }
  return out;
}

}  // namespace radflare
