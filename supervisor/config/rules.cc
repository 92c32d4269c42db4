#include "config/rules.h"

#include <algorithm>
#include <map>

#include "config/walk.h"

namespace radflare {

namespace {

class RuleContext {
 public:
  RuleContext(const Values& values, const LoadContext& context, const std::string& file, Diagnostics& out)
      : v(values), ctx(context), file_(file), out_(out) {}

  void error(const std::string& key, std::string message) {
    Diagnostic d;
    d.file = file_;
    d.key = key;
    d.message = std::move(message);
    place(d, v.where(key));
    out_.push_back(std::move(d));
  }

  // A file the appliance must read (certificate, CA bundle, script).
  void require_file(const std::string& key, const std::string& path, const std::string& what) {
    if (path.empty())
      error(key, "is required: " + what);
    else if (!ctx.files.exists(path))
      error(key, "the file " + path + " does not exist (" + what + ")");
  }

  // Two keys conflict: point at the one the operator wrote (the later one
  // when both are written), and name the other in the message.
  void conflict(const std::string& first, const std::string& second, const std::string& message_about_second,
                const std::string& message_about_first) {
    if (v.given(second) || !v.given(first))
      error(second, message_about_second);
    else
      error(first, message_about_first);
  }

  const Values& v;
  const LoadContext& ctx;

 private:
  const std::string& file_;
  Diagnostics& out_;
};

void ports_do_not_clash(const Config& c, RuleContext& r) {
  std::vector<std::pair<std::string, int>> ports = {
      {"orthanc.dicom_port", c.orthanc.dicom_port},
      {"orthanc.http_port", c.orthanc.http_port},
      {"web.http_port", c.web.http_port},
      {"status.port", c.status.port},
  };
  if (c.tls.mode != TlsMode::Off) ports.emplace_back("web.https_port", c.web.https_port);
  if (c.web.orthanc_port != 0) ports.emplace_back("web.orthanc_port", c.web.orthanc_port);
  if (c.database.mode == DatabaseMode::Local) ports.emplace_back("database.port", c.database.port);
  std::map<int, std::string> taken;
  for (const auto& [key, port] : ports) {
    auto [it, fresh] = taken.emplace(port, key);
    if (!fresh) {
      const std::string p = "port " + std::to_string(port) + " is already used by ";
      r.conflict(it->second, key, p + it->second + "; each service needs its own port",
                 p + key + "; each service needs its own port");
    }
  }
}

void database_fits_mode(const Config& c, RuleContext& r) {
  const auto& d = c.database;
  if (d.mode == DatabaseMode::Local) {
    for (const char* key : {"database.host", "database.password_file", "database.ssl_root_cert"})
      if (r.v.given(key) && !r.v.str(key).empty())
        r.error(key, "is only used with an external database; set database.mode = \"external\" or remove it");
    // The appliance creates and owns this role and database: never a
    // superuser or a template it would then change.
    if (d.user == "postgres" || d.user.starts_with("pg_"))
      r.error("database.user", "\"" + d.user + "\" is reserved by PostgreSQL; Orthanc gets a role of its own");
    if (d.name == "postgres" || d.name == "template0" || d.name == "template1")
      r.error("database.name", "\"" + d.name + "\" is one of PostgreSQL's own databases; choose another name");
    return;
  }
  if (d.host.empty()) r.error("database.host", "is required when database.mode = \"external\"");
  if (r.v.str("database.password_file").empty())
    r.error("database.password_file", "is required when database.mode = \"external\" (a file holding the password)");
  if (d.sslmode == "verify-ca" || d.sslmode == "verify-full")
    r.require_file("database.ssl_root_cert", d.ssl_root_cert,
                   "sslmode = \"" + d.sslmode + "\" checks the server against this CA bundle");
  if (!c.orthanc.has_plugin("postgresql"))
    r.error("orthanc.plugins", "an external database needs the \"postgresql\" plugin");
}

void storage_needs_plugin(const Config& c, RuleContext& r) {
  if (c.database.files == FileStorage::PostgreSQL && !c.orthanc.has_plugin("postgresql"))
    r.error("database.files", "files = \"postgresql\" needs the \"postgresql\" plugin in orthanc.plugins");
}

void tls_is_complete(const Config& c, RuleContext& r) {
  const auto& t = c.tls;
  if (t.mode == TlsMode::Acme) {
    if (t.domains.empty())
      r.error("tls.mode", "mode = \"acme\" needs at least one name in tls.domains (or site.hostnames)");
    if (t.email.empty()) r.error("tls.email", "is required when tls.mode = \"acme\" (the ACME account contact)");
    if (!t.acme_ca_bundle.empty())
      r.require_file("tls.acme_ca_bundle", t.acme_ca_bundle, "the ACME client trusts the directory's certificate with it");
  } else if (t.mode == TlsMode::Manual) {
    r.require_file("tls.cert_file", t.cert_file, "mode = \"manual\" serves this certificate chain");
    r.require_file("tls.key_file", t.key_file, "mode = \"manual\" serves with this private key");
  }
}

void python_is_loaded_when_needed(const Config& c, RuleContext& r) {
  if (!c.python.script.empty()) {
    if (!c.python.script.ends_with(".py"))
      r.error("python.script", "must name a .py file (Orthanc's Python plugin loads nothing else)");
    r.require_file("python.script", c.python.script, "the operator's plugin");
    if (!c.orthanc.has_plugin("python"))
      r.error("python.script", "a Python plugin needs \"python\" in orthanc.plugins");
  }
  if (c.webhook.enabled() && !c.orthanc.has_plugin("python"))
    r.error("webhook.url", "the webhook is sent by a Python plugin: add \"python\" to orthanc.plugins");
  for (const auto& [name, value] : c.python.env)
    if (name.starts_with("ORTHANC_PLUGIN_"))
      r.error("python.env." + name, "ORTHANC_PLUGIN_* variables come from the [webhook] keys; set them there");
}

void webhook_is_consistent(const Config& c, RuleContext& r) {
  const auto& h = c.webhook;
  if (h.max_retry_delay < h.initial_retry_delay)
    r.error("webhook.max_retry_delay", "is shorter than webhook.initial_retry_delay (" +
                                           std::to_string(h.initial_retry_delay) + " s)");
}

void url_paths_are_distinct(const Config& c, RuleContext& r) {
  const std::vector<std::pair<std::string, std::string>> paths = {
      {"web.ohif_path", c.web.ohif_path},
      {"orthanc.dicomweb_root", c.orthanc.dicomweb_root},
      {"orthanc.wado_root", c.orthanc.wado_root + "/"},
  };
  for (size_t i = 0; i < paths.size(); ++i)
    for (size_t j = i + 1; j < paths.size(); ++j)
      if (paths[i].second.starts_with(paths[j].second) || paths[j].second.starts_with(paths[i].second))
        r.conflict(paths[i].first, paths[j].first,
                   "URL path " + paths[j].second + " overlaps " + paths[i].first + " (" + paths[i].second + ")",
                   "URL path " + paths[i].second + " overlaps " + paths[j].first + " (" + paths[j].second + ")");
}

void names_are_unique(const Config& c, RuleContext& r) {
  std::vector<std::string> users = {c.admin.user};
  for (size_t i = 0; i < c.web.users.size(); ++i) {
    const auto& name = c.web.users[i].name;
    if (std::find(users.begin(), users.end(), name) != users.end())
      r.error("web.users", "user \"" + name + "\" is defined twice (admin.user counts too)");
    users.push_back(name);
  }
  std::vector<std::string> modalities;
  for (const auto& m : c.orthanc.modalities) {
    if (std::find(modalities.begin(), modalities.end(), m.name) != modalities.end())
      r.error("orthanc.modalities", "modality \"" + m.name + "\" is defined twice");
    modalities.push_back(m.name);
  }
}

}  // namespace

void check_rules(const Config& config, const Values& values, const LoadContext& context, const std::string& file,
                 Diagnostics& out) {
  RuleContext r(values, context, file, out);
  ports_do_not_clash(config, r);
  database_fits_mode(config, r);
  storage_needs_plugin(config, r);
  tls_is_complete(config, r);
  python_is_loaded_when_needed(config, r);
  webhook_is_consistent(config, r);
  url_paths_are_distinct(config, r);
  names_are_unique(config, r);
}

bool OrthancConfig::has_plugin(const std::string& name) const {
  return std::find(plugins.begin(), plugins.end(), name) != plugins.end();
}

}  // namespace radflare
