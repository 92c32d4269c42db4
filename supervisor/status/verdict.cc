#include "status/verdict.h"

#include <algorithm>
#include <cstdio>

namespace radflare {

namespace {

using nlohmann::json;

// Lenient readers: a section another part of the daemon publishes may lack a
// member (or not exist yet); absence is never a crash.
const json& member(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}
std::string text(const json& j, const char* key) {
  const json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}
bool flag(const json& j, const char* key, bool fallback) {
  const json& v = member(j, key);
  return v.is_boolean() ? v.get<bool>() : fallback;
}
bool number(const json& j, const char* key, double& out) {
  const json& v = member(j, key);
  if (!v.is_number()) return false;
  out = v.get<double>();
  return true;
}
std::string fmt(double v, int decimals = 0) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

struct Judge {
  Verdict v;
  void add(Level level, std::string component, std::string message) {
    v.reasons.push_back({level, std::move(component), std::move(message)});
    v.level = std::max(v.level, level);
  }

  // A probe section: ok / error / age_seconds (null age = never ran).
  bool probe_fresh(const json& section, const char* component) {
    double age = 0;
    if (!number(section, "age_seconds", age)) {
      add(Level::Amber, component, std::string(component) + " has not been checked yet");
      return false;
    }
    if (age > kProbeLateSeconds)
      add(Level::Amber, component, "the last " + std::string(component) + " check is " + fmt(age) + " s old");
    return true;
  }

  void units(const json& list) {
    if (!list.is_array()) {
      add(Level::Amber, "units", "unit states are not known yet");
      return;
    }
    for (const auto& u : list) {
      if (!flag(u, "expected", true)) continue;  // e.g. the local database when it is external
      const std::string name = text(u, "unit"), state = text(u, "active_state");
      const std::string sub = text(u, "sub_state");
      const Level l = unit_level(state);
      if (l == Level::Red)
        add(l, name, name + " is " + (state.empty() ? "unknown" : state) + (sub.empty() ? "" : " (" + sub + ")"));
      else if (l == Level::Amber)
        add(l, name, name + " is " + state + (sub.empty() ? "" : " (" + sub + ")"));
    }
  }

  void orthanc(const json& o) {
    if (!probe_fresh(o, "orthanc")) return;
    if (!flag(o, "ok", false)) {
      add(Level::Red, "orthanc", "Orthanc is not answering: " + text(o, "error"));
      return;
    }
    const json& dw = member(o, "dicomweb");
    if (flag(dw, "enabled", false) && !flag(dw, "ok", false))
      add(Level::Red, "dicomweb", "DICOMweb is not answering: " + text(dw, "detail"));
  }

  void postgresql(const json& p) {
    if (!flag(p, "used", false)) return;
    if (!probe_fresh(p, "postgresql")) return;
    if (!flag(p, "ok", false)) {
      add(Level::Red, "postgresql", "PostgreSQL is unreachable: " + text(p, "error"));
      return;
    }
    double ms = 0;
    if (number(p, "latency_ms", ms) && ms > kDbLatencyAmberMs)
      add(Level::Amber, "postgresql", "PostgreSQL answers slowly (" + fmt(ms, 1) + " ms round trip)");
  }

  void host(const json& h) {
    if (!probe_fresh(h, "host")) return;
    const json& disks = member(h, "disks");
    if (disks.is_array()) {
      for (const auto& d : disks) {
        double free = 100;
        if (!number(d, "free_percent", free)) continue;
        const Level l = disk_level(free);
        if (l != Level::Green)
          add(l, "disk", text(d, "path") + " (" + text(d, "purpose") + ") has " + fmt(free, 1) + " % free");
      }
    }
    const json& mem = member(h, "memory");
    double total = 0, available = 0;
    if (number(mem, "total_bytes", total) && number(mem, "available_bytes", available) && total > 0 &&
        100 * available / total < kMemoryAmberPercent)
      add(Level::Amber, "memory", "only " + fmt(100 * available / total, 1) + " % of memory is available");
  }

  void tls(const json& t) {
    const std::string mode = text(t, "mode");
    if (mode.empty() || mode == "off") return;
    const std::string says = text(t, "verdict");
    double left = 0;
    const bool has_left = number(t, "seconds_to_expiry", left);
    if (has_left && left <= 0) {
      add(Level::Red, "tls", "the certificate expired");
    } else if (says == "red") {
      // The ACME task says why in "reason" (e.g. still the placeholder); the error, when there is one, is the cause.
      const std::string why = !text(t, "last_error").empty() ? text(t, "last_error")
                              : !text(t, "reason").empty()   ? text(t, "reason")
                                                             : "certificate problem";
      add(Level::Red, "tls", "TLS: " + why);
    } else if (has_left && left < kCertAmberDays * 86400) {
      add(Level::Amber, "tls", "the certificate expires in " + fmt(left / 86400, 1) + " days");
    } else if (!text(t, "last_error").empty()) {
      add(Level::Amber, "tls", "the last certificate renewal failed: " + text(t, "last_error"));
    } else if (says == "amber") {
      add(Level::Amber, "tls", "TLS needs attention");
    }
  }

  void config(const json& c) {
    if (c.is_null()) return;
    if (!flag(c, "ok", true))
      add(Level::Amber, "config", "the last reload " + (text(c, "outcome").empty() ? "failed" : "was " + text(c, "outcome")) +
                                      ": " + text(c, "summary"));
  }

  void admin(const json& a) {
    if (!text(a, "last_error").empty())
      add(Level::Amber, "admin", "the admin password rotation failed: " + text(a, "last_error"));
  }

  void webhook(const json& w) {
    if (!w.is_object() || !flag(w, "enabled", false)) return;
    double age = 0, dead = 0;
    if (!number(w, "stats_age_seconds", age)) {
      add(Level::Amber, "webhook", "the webhook forwarder has written no statistics");
      return;
    }
    if (age > kWebhookSilentSeconds)
      add(Level::Amber, "webhook", "the webhook forwarder is silent (statistics " + fmt(age) + " s old)");
    if (number(w, "dead", dead) && dead > 0)
      add(Level::Amber, "webhook", fmt(dead) + " webhook notification(s) could not be delivered (dead letters)");
  }
};

}  // namespace

const char* to_string(Level level) {
  switch (level) {
    case Level::Green: return "green";
    case Level::Amber: return "amber";
    case Level::Red: return "red";
  }
  return "red";
}

Level unit_level(const std::string& active_state) {
  if (active_state == "active" || active_state == "reloading") return Level::Green;
  if (active_state == "activating" || active_state == "deactivating") return Level::Amber;
  return Level::Red;  // inactive, failed, unknown
}

Level disk_level(double free_percent) {
  if (free_percent < kDiskRedPercent) return Level::Red;
  if (free_percent < kDiskAmberPercent) return Level::Amber;
  return Level::Green;
}

json Verdict::to_json() const {
  json reasons_json = json::array();
  for (const auto& r : reasons)
    reasons_json.push_back({{"level", to_string(r.level)}, {"component", r.component}, {"message", r.message}});
  return {{"level", to_string(level)},
          {"summary", reasons.empty() ? std::string("all is well") : reasons.front().message},
          {"reasons", std::move(reasons_json)}};
}

Verdict judge(const json& report) {
  Judge j;
  j.units(member(report, "units"));
  j.orthanc(member(report, "orthanc"));
  j.postgresql(member(report, "postgresql"));
  j.host(member(report, "host"));
  j.tls(member(report, "tls"));
  j.config(member(report, "config"));
  j.admin(member(report, "admin"));
  j.webhook(member(report, "webhook"));
  std::stable_sort(j.v.reasons.begin(), j.v.reasons.end(),
                   [](const Reason& a, const Reason& b) { return a.level > b.level; });
  return j.v;
}

}  // namespace radflare
