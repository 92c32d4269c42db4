#include "status/report.h"

#include "status/time_text.h"
#include "status/verdict.h"
#include "version.h"

namespace radflare {

using nlohmann::json;

namespace {

const json& member(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

bool is_local_database_unit(const std::string& unit) {
  return unit.rfind("postgresql", 0) == 0 || unit == "radflare-db-setup.service";
}

std::string port_suffix(const std::string& scheme, int port) {
  if ((scheme == "http" && port == 80) || (scheme == "https" && port == 443)) return "";
  return ":" + std::to_string(port);
}

}  // namespace

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

StatusView view_of(const Config& c) {
  StatusView v;
  v.configured = true;
  v.site_name = c.site.name;
  v.database_local = c.database.mode == DatabaseMode::Local;
  v.tls_mode = c.tls.mode == TlsMode::Off ? "off" : c.tls.mode == TlsMode::Acme ? "acme" : "manual";
  v.tls_domains = c.tls.domains.empty() ? c.site.hostnames : c.tls.domains;
  const bool https = c.tls.mode != TlsMode::Off;
  const std::string scheme = https ? "https" : "http";
  const int port = https ? c.web.https_port : c.web.http_port;
  std::string host = !v.tls_domains.empty() ? v.tls_domains.front() : "";
  v.links.push_back({"ohif", "OHIF viewer", scheme, host, port, c.web.ohif_path});
  if (c.orthanc.has_plugin("dicomweb"))
    v.links.push_back({"dicomweb", "DICOMweb", scheme, host, port, c.orthanc.dicomweb_root + "studies"});
  if (c.web.orthanc_port != 0)
    v.links.push_back({"orthanc", "Orthanc UI", scheme, host, c.web.orthanc_port, "/app/explorer.html"});
  return v;
}

std::vector<std::string> secrets_of(const Config& c) {
  std::vector<std::pair<std::string, const Secret*>> held = {
      {kProxyUser, &c.internal.proxy_password}, {c.database.user, &c.database.password},
      {c.admin.user, &c.admin.password}, {"", &c.webhook.api_key}};
  for (const auto& u : c.web.users) held.push_back({u.name, &u.password});
  std::vector<std::string> out;
  for (const auto& [user, secret] : held) {
    const std::string& s = secret->reveal();
    if (s.size() < 4) continue;  // too short to search for without false hits
    out.push_back(s);
    std::string escaped = json(s).dump();
    escaped = escaped.substr(1, escaped.size() - 2);
    if (escaped != s) out.push_back(escaped);
    if (!user.empty()) out.push_back(base64(user + ":" + s));
  }
  return out;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at))
      text.replace(at, s.size(), "<redacted>");
  }
  return text;
}

json build_report(const json& board, const json& probes, const StatusView& view, time_t now) {
  json r = json::object();
  r["schema_version"] = 1;
  r["generated_at"] = iso_utc(now);
  r["appliance"] = {{"name", view.site_name}, {"version", RADFLARE_VERSION}, {"configured", view.configured}};

  // Units, each with its level and how many incidents name it.
  const json& incidents = member(board, "incidents");
  json units = json::array();
  if (member(board, "units").is_array()) {
    for (const auto& u : board["units"]) {
      json row = u;
      const std::string unit = u.value("unit", "");
      row["expected"] = !(view.configured && !view.database_local && is_local_database_unit(unit));
      row["level"] = row["expected"].get<bool>() ? to_string(unit_level(u.value("active_state", ""))) : "off";
      if (u.contains("since") && u["since"].is_number() && u["since"].get<int64_t>() > 0)
        row["since"] = iso_utc(static_cast<time_t>(u["since"].get<int64_t>()));
      else
        row["since"] = nullptr;
      int count = 0;
      if (incidents.is_array())
        for (const auto& i : incidents) count += i.value("unit", "") == unit;
      row["incidents"] = count;
      units.push_back(std::move(row));
    }
  }
  r["units"] = std::move(units);
  json recent = json::array();
  if (incidents.is_array()) {
    // Newest first, at most 50.
    for (auto it = incidents.rbegin(); it != incidents.rend() && recent.size() < 50; ++it) {
      json row = *it;
      if (row.contains("time") && row["time"].is_number()) row["time"] = iso_utc(static_cast<time_t>(row["time"].get<int64_t>()));
      recent.push_back(std::move(row));
    }
  }
  r["incidents"] = std::move(recent);

  r["orthanc"] = member(probes, "orthanc").is_object() ? probes["orthanc"] : json{{"ok", false}, {"error", "not probed yet"}};
  r["postgresql"] = member(probes, "postgresql").is_object() ? probes["postgresql"] : json{{"used", false}};
  r["host"] = member(probes, "host").is_object() ? probes["host"] : json::object();
  const json& hook = member(probes, "webhook");
  r["webhook"] = hook.is_object() && hook.value("enabled", false) ? hook : json();

  // TLS: what the certificate task published, else what the config says.
  json tls = member(board, "tls").is_object() ? board["tls"] : json::object();
  if (!tls.contains("mode")) tls["mode"] = view.tls_mode;
  if (!tls.contains("domains")) tls["domains"] = view.tls_domains;
  if (tls.contains("not_after") && tls["not_after"].is_string()) {
    if (auto t = parse_iso_utc(tls["not_after"].get<std::string>()))
      tls["seconds_to_expiry"] = static_cast<int64_t>(*t - now);
  }
  r["tls"] = std::move(tls);

  r["admin"] = member(board, "admin").is_object() ? board["admin"] : json::object();
  json config = json::object();
  if (const json& reload = member(board, "reload"); reload.is_object()) {
    config = reload;
    if (config.contains("config")) {
      config["path"] = config["config"];
      config.erase("config");
    }
  }
  r["config"] = config.empty() ? json() : config;

  json links = json::array();
  for (const auto& l : view.links) {
    json row = {{"name", l.name}, {"label", l.label}, {"scheme", l.scheme},
                {"host", l.host.empty() ? json() : json(l.host)}, {"port", l.port}, {"path", l.path}};
    row["url"] = l.host.empty() ? json() : json(l.scheme + "://" + l.host + port_suffix(l.scheme, l.port) + l.path);
    links.push_back(std::move(row));
  }
  r["links"] = std::move(links);
  r["verdict"] = judge(r).to_json();
  return r;
}

}  // namespace radflare
