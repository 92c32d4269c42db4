#include "config/load.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/rules.h"
#include "config/values.h"
#include "config/walk.h"
#include "config/validators.h"

namespace radflare {

namespace {

// Defaults derived from the machine; documented in the schema table.
int derived_http_threads(const HostFacts& h) { return std::clamp(h.cpu_count * 16, 16, 100); }
int derived_concurrent_jobs(const HostFacts& h) { return std::clamp(h.cpu_count / 2, 2, 8); }

class Builder {
 public:
  Builder(const Values& v, const LoadContext& context, const std::string& file, Diagnostics& out)
      : v_(v), ctx_(context), file_(file), out_(out) {}

  Config build() {
    Config c;
    c.source_path = file_;
    c.host = ctx_.host;

    c.site.name = v_.str("site.name");
    c.site.hostnames = v_.strings("site.hostnames");

    auto& o = c.orthanc;
    o.aet = v_.str("orthanc.aet");
    o.dicom_port = static_cast<int>(v_.integer("orthanc.dicom_port"));
    o.http_port = static_cast<int>(v_.integer("orthanc.http_port"));
    o.stable_age = static_cast<int>(v_.integer("orthanc.stable_age"));
    o.dicomweb_root = v_.str("orthanc.dicomweb_root");
    o.wado_root = v_.str("orthanc.wado_root");
    o.qido_case_sensitive = v_.boolean("orthanc.qido_case_sensitive");
    o.plugins = plugins();
    o.storage_dir = v_.str("orthanc.storage_dir");
    o.http_threads = static_cast<int>(v_.integer("orthanc.http_threads"));
    if (o.http_threads == 0) o.http_threads = derived_http_threads(ctx_.host);
    o.concurrent_jobs = static_cast<int>(v_.integer("orthanc.concurrent_jobs"));
    if (o.concurrent_jobs == 0) o.concurrent_jobs = derived_concurrent_jobs(ctx_.host);
    o.allow_unknown_modalities = v_.boolean("orthanc.allow_unknown_modalities");
    o.check_modality_host = v_.boolean("orthanc.check_modality_host");
    for (const Values& m : v_.tables("orthanc.modalities"))
      o.modalities.push_back({m.str("orthanc.modalities.name"), m.str("orthanc.modalities.aet"),
                              m.str("orthanc.modalities.host"),
                              static_cast<int>(m.integer("orthanc.modalities.port"))});

    auto& d = c.database;
    d.mode = v_.str("database.mode") == "external" ? DatabaseMode::External : DatabaseMode::Local;
    d.files = v_.str("database.files") == "postgresql" ? FileStorage::PostgreSQL : FileStorage::Disk;
    d.port = static_cast<int>(v_.integer("database.port"));
    d.name = v_.str("database.name");
    d.user = v_.str("database.user");
    d.lock = v_.boolean("database.lock");
    d.index_connections = static_cast<int>(v_.integer("database.index_connections"));
    if (d.mode == DatabaseMode::Local) {
      // Loopback to our own server: TLS would only cost CPU.
      d.host = "localhost";
      d.sslmode = "disable";
      d.password = Secret(ctx_.managed.get("db-password"));
    } else {
      d.host = v_.str("database.host");
      d.sslmode = v_.str("database.sslmode");
      d.ssl_root_cert = v_.str("database.ssl_root_cert");
      d.password = secret_file("database.password_file", v_);
    }

    c.admin.user = v_.str("admin.user");
    c.admin.rotation_days = static_cast<int>(v_.integer("admin.rotation_days"));
    c.admin.password = Secret(ctx_.managed.get("admin-password"));

    auto& w = c.web;
    w.ohif_path = v_.str("web.ohif_path");
    w.http_port = static_cast<int>(v_.integer("web.http_port"));
    w.https_port = static_cast<int>(v_.integer("web.https_port"));
    w.orthanc_port = static_cast<int>(v_.integer("web.orthanc_port"));
    w.max_upload = v_.str("web.max_upload");
    w.max_upload_bytes = validate::parse_byte_size(w.max_upload);
    w.cors_origins = v_.strings("web.cors_origins");
    w.frame_ancestors = v_.strings("web.frame_ancestors");
    for (const Values& u : v_.tables("web.users"))
      w.users.push_back({u.str("web.users.name"), secret_file("web.users.password_file", u)});

    c.ohif.show_study_list = v_.boolean("ohif.show_study_list");
    c.ohif.max_web_workers = static_cast<int>(v_.integer("ohif.max_web_workers"));
    c.ohif.investigational_use_dialog = v_.str("ohif.investigational_use_dialog");

    auto& t = c.tls;
    const std::string mode = v_.str("tls.mode");
    t.mode = mode == "acme" ? TlsMode::Acme : mode == "manual" ? TlsMode::Manual : TlsMode::Off;
    t.domains = v_.strings("tls.domains");
    if (t.domains.empty()) t.domains = c.site.hostnames;
    t.email = v_.str("tls.email");
    t.acme_directory = v_.str("tls.acme_directory");
    t.acme_ca_bundle = v_.str("tls.acme_ca_bundle");
    t.cert_file = v_.str("tls.cert_file");
    t.key_file = v_.str("tls.key_file");
    t.hsts = v_.boolean("tls.hsts");

    auto& h = c.webhook;
    h.url = v_.str("webhook.url");
    h.api_key_file = v_.str("webhook.api_key_file");
    if (!h.api_key_file.empty()) h.api_key = secret_file("webhook.api_key_file", v_);
    h.queue = v_.str("webhook.queue") == "memory" ? QueueType::Memory : QueueType::Persistent;
    h.queue_path = v_.str("webhook.queue_path");
    h.max_retries = static_cast<int>(v_.integer("webhook.max_retries"));
    h.initial_retry_delay = static_cast<int>(v_.integer("webhook.initial_retry_delay"));
    h.max_retry_delay = static_cast<int>(v_.integer("webhook.max_retry_delay"));
    h.backoff_factor = v_.number("webhook.backoff_factor");
    h.stable_series = v_.boolean("webhook.stable_series");

    c.python.script = v_.str("python.script");
    c.python.verbose = v_.boolean("python.verbose");
    c.python.env = v_.string_map("python.env");

    c.status.listen = v_.str("status.listen");
    c.status.port = static_cast<int>(v_.integer("status.port"));
    c.status.allowed_cidrs = v_.strings("status.allowed_cidrs");

    c.internal.proxy_password = Secret(ctx_.managed.get("proxy-password"));
    return c;
  }

 private:
  std::vector<std::string> plugins() {
    std::vector<std::string> out;
    for (const auto& p : v_.strings("orthanc.plugins")) {
      if (std::find(out.begin(), out.end(), p) != out.end()) continue;
      if (p == "explorer2" && !ctx_.host.explorer2_installed) {
        report("orthanc.plugins", v_,
               "\"explorer2\" is skipped: libOrthancExplorer2.so is not installed in " +
                   ctx_.host.orthanc_plugin_dir + " (Orthanc's built-in UI stays at /app/explorer.html)",
               Diagnostic::Severity::Warning);
        continue;
      }
      out.push_back(p);
    }
    return out;
  }

  Secret secret_file(const std::string& key, const Values& scope) {
    const std::string path = scope.str(key);
    if (path.empty()) return Secret();  // required-ness is a cross-key rule
    std::string why;
    if (auto value = ctx_.files.read_secret(path, why)) {
      // A secret lands in nginx, systemd and libpq syntax: no control bytes.
      // The message never shows the value.
      if (!validate::printable(*value).empty()) {
        report(key, scope, "the secret file " + path + " contains control characters in its first line");
        return Secret();
      }
      return Secret(*value);
    }
    report(key, scope, "the secret file " + path + " " + why);
    return Secret();
  }

  void report(const std::string& key, const Values& scope, std::string message,
              Diagnostic::Severity severity = Diagnostic::Severity::Error) {
    Diagnostic d;
    d.file = file_;
    d.key = key;
    d.message = std::move(message);
    d.severity = severity;
    place(d, scope.where(key));
    out_.push_back(std::move(d));
  }

  const Values& v_;
  const LoadContext& ctx_;
  const std::string& file_;
  Diagnostics& out_;
};

void sort_by_position(Diagnostics& d) {
  std::stable_sort(d.begin(), d.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

}  // namespace

LoadResult load_config_text(std::string_view text, const std::string& path, const LoadContext& context) {
  LoadResult result;
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    Diagnostic d;
    d.file = path;
    d.message = "this is not valid TOML: " + std::string(e.description());
    place(d, e.source());
    result.diagnostics.push_back(std::move(d));
    return result;
  }
  WalkResult walked = walk_document(doc, path, result.diagnostics);
  Values values(doc, "", walked.rejected);
  Config config = Builder(values, context, path, result.diagnostics).build();
  check_rules(config, values, context, path, result.diagnostics);
  sort_by_position(result.diagnostics);
  if (!has_errors(result.diagnostics)) result.config = std::move(config);
  return result;
}

LoadResult load_config_file(const std::string& path, const LoadContext& context) {
  std::ifstream in(path);
  if (!in) {
    LoadResult result;
    result.diagnostics.push_back({path, 0, 0, "", "cannot open the configuration file", Diagnostic::Severity::Error});
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(buffer.str(), path, context);
}

}  // namespace radflare
