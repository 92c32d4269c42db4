#include "status/metrics.h"

#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "status/time_text.h"

namespace radflare {

using nlohmann::json;

namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

// One metric family: HELP and TYPE once, then its samples.
class Family {
 public:
  Family(std::string& out, std::string name, const char* type, const char* help) : out_(out), name_(std::move(name)) {
    out_ += "# HELP " + name_ + " " + help + "\n# TYPE " + name_ + " " + type + "\n";
  }
  void sample(double value, const Labels& labels = {}) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) out_ += ',';
        out_ += labels[i].first + "=\"" + prometheus_label(labels[i].second) + '"';
      }
      out_ += '}';
    }
    out_ += ' ' + number(value) + '\n';
  }

 private:
  std::string& out_;
  std::string name_;
};

const json& at(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}
bool num(const json& j, const char* key, double& out) {
  const json& v = at(j, key);
  if (!v.is_number()) return false;
  out = v.get<double>();
  return true;
}
bool yes(const json& j, const char* key) {
  const json& v = at(j, key);
  return v.is_boolean() && v.get<bool>();
}

}  // namespace

std::string prometheus_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string prometheus_text(const json& r) {
  std::string out;
  double v = 0;
  {
    const std::string level = at(at(r, "verdict"), "level").is_string() ? r["verdict"]["level"].get<std::string>() : "red";
    Family f(out, "radflare_status_verdict", "gauge", "Overall verdict: 1 for the current level (green, amber, red).");
    for (const char* l : {"green", "amber", "red"}) f.sample(level == l ? 1 : 0, {{"level", l}});
  }
  const json& units = at(r, "units");
  if (units.is_array() && !units.empty()) {
    Family active(out, "radflare_unit_active", "gauge", "1 when the managed systemd unit is active (or reloading).");
    for (const auto& u : units) {
      const std::string s = u.value("active_state", "");
      active.sample(s == "active" || s == "reloading" ? 1 : 0, {{"unit", u.value("unit", "")}});
    }
    Family state(out, "radflare_unit_state", "gauge", "The unit's systemd ActiveState: 1 for the current one.");
    for (const auto& u : units) {
      const std::string s = u.value("active_state", "unknown");
      for (const char* known : {"active", "reloading", "inactive", "failed", "activating", "deactivating"})
        state.sample(s == known ? 1 : 0, {{"unit", u.value("unit", "")}, {"state", known}});
    }
    Family restarts(out, "radflare_unit_restarts_total", "counter",
                    "Restarts of the unit seen since the supervisor started.");
    for (const auto& u : units) restarts.sample(u.value("restarts", 0), {{"unit", u.value("unit", "")}});
  }

  const json& orthanc = at(r, "orthanc");
  Family(out, "radflare_orthanc_up", "gauge", "1 when Orthanc answered its last probe.").sample(yes(orthanc, "ok"));
  if (yes(orthanc, "ok")) {
    for (auto [key, name, help] : {std::tuple{"patients", "radflare_orthanc_patients", "Patients stored in Orthanc."},
                                   {"studies", "radflare_orthanc_studies", "Studies stored in Orthanc."},
                                   {"series", "radflare_orthanc_series", "Series stored in Orthanc."},
                                   {"instances", "radflare_orthanc_instances", "Instances stored in Orthanc."},
                                   {"storage_bytes", "radflare_orthanc_storage_bytes", "Bytes of DICOM files Orthanc stores."}}) {
      if (num(orthanc, key, v)) Family(out, name, "gauge", help).sample(v);
    }
  }
  if (yes(at(orthanc, "dicomweb"), "enabled"))
    Family(out, "radflare_dicomweb_up", "gauge", "1 when a DICOMweb QIDO query answered 200.")
        .sample(yes(at(orthanc, "dicomweb"), "ok"));
  if (const json& ls = at(at(orthanc, "last_study"), "time"); ls.is_string())
    if (auto t = parse_iso_utc(ls.get<std::string>()))
      Family(out, "radflare_orthanc_last_study_timestamp_seconds", "gauge",
             "When Orthanc last received a new study or declared one stable (unix time).")
          .sample(static_cast<double>(*t));

  const json& pg = at(r, "postgresql");
  if (yes(pg, "used")) {
    Family(out, "radflare_postgresql_up", "gauge", "1 when PostgreSQL accepted a connection and answered SELECT 1.")
        .sample(yes(pg, "ok"));
    if (num(pg, "latency_ms", v))
      Family(out, "radflare_postgresql_latency_seconds", "gauge", "Round trip of SELECT 1 to Orthanc's database.")
          .sample(v / 1000);
    if (num(pg, "size_bytes", v))
      Family(out, "radflare_postgresql_database_bytes", "gauge", "Size of Orthanc's database.").sample(v);
  }

  if (num(at(r, "tls"), "seconds_to_expiry", v))
    Family(out, "radflare_tls_cert_expiry_seconds", "gauge", "Seconds until the served certificate expires.").sample(v);

  const json& host = at(r, "host");
  if (const json& disks = at(host, "disks"); disks.is_array() && !disks.empty()) {
    Family free(out, "radflare_disk_free_bytes", "gauge", "Free bytes on a data volume (for unprivileged users).");
    for (const auto& d : disks)
      if (num(d, "free_bytes", v)) free.sample(v, {{"path", d.value("path", "")}, {"purpose", d.value("purpose", "")}});
    Family size(out, "radflare_disk_size_bytes", "gauge", "Size of a data volume.");
    for (const auto& d : disks)
      if (num(d, "total_bytes", v)) size.sample(v, {{"path", d.value("path", "")}, {"purpose", d.value("purpose", "")}});
  }
  if (num(at(host, "memory"), "available_bytes", v))
    Family(out, "radflare_memory_available_bytes", "gauge", "MemAvailable of the host.").sample(v);
  if (const json& load = at(host, "load"); load.is_array() && load.size() == 3 && load[0].is_number())
    Family(out, "radflare_load1", "gauge", "One-minute load average of the host.").sample(load[0].get<double>());
  if (num(host, "uptime_seconds", v))
    Family(out, "radflare_host_uptime_seconds", "gauge", "Seconds since the host booted.").sample(v);

  if (const json& config = at(r, "config"); config.is_object()) {
    Family(out, "radflare_last_reload_success", "gauge", "1 when the last reload applied (or changed nothing).")
        .sample(yes(config, "ok"));
    if (const json& t = at(config, "time"); t.is_string())
      if (auto when = parse_iso_utc(t.get<std::string>()))
        Family(out, "radflare_last_reload_timestamp_seconds", "gauge", "When the last reload ran (unix time).")
            .sample(static_cast<double>(*when));
  }

  if (const json& hook = at(r, "webhook"); hook.is_object()) {
    for (auto [key, name, type, help] :
         {std::tuple{"depth", "radflare_webhook_queue_depth", "gauge", "Webhook events waiting to be delivered."},
          {"delivered", "radflare_webhook_delivered_total", "counter", "Webhook events delivered."},
          {"failed_attempts", "radflare_webhook_failed_attempts_total", "counter", "Failed webhook delivery attempts."},
          {"dead_lettered", "radflare_webhook_dead_lettered_total", "counter", "Webhook events given up on."},
          {"dead", "radflare_webhook_dead_letters", "gauge", "Dead letters now in the queue."}}) {
      if (num(hook, key, v)) Family(out, name, type, help).sample(v);
    }
  }
  return out;
}

}  // namespace radflare
