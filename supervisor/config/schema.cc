#include "config/schema.h"

#include "config/validators.h"

namespace radflare {

namespace v = validate;
using K = KeyType;

namespace {

auto range(int64_t lo, int64_t hi) {
  return [lo, hi](int64_t x) { return v::int_range(x, lo, hi); };
}
auto choice(std::vector<std::string> allowed) {
  return [allowed](std::string_view s) { return v::one_of(s, allowed); };
}

std::vector<KeySpec> build() {
  return {
      // ---------------------------------------------------------------- site
      {"site", K::Section, "", "Who this appliance is."},
      {"site.name", K::String, R"("Radflare")",
       "Name of this Orthanc (Orthanc `Name`), shown in its UI and at `/system`.", v::nonempty_printable},
      {"site.hostnames", K::StringArray, "[]",
       "Public host names of the appliance (nginx `server_name`; the TLS domains default to them). "
       "Empty: answer to any name.",
       v::hostname},

      // ------------------------------------------------------------- orthanc
      {"orthanc", K::Section, "", "The Orthanc DICOM server."},
      {"orthanc.aet", K::String, R"("RADFLARE")", "DICOM AE title of this server (Orthanc `DicomAet`).",
       v::dicom_aet},
      {"orthanc.dicom_port", K::Integer, "4242", "DICOM port modalities send to (Orthanc `DicomPort`); listens on all interfaces.",
       {}, v::port},
      {"orthanc.http_port", K::Integer, "8044",
       "Orthanc's own HTTP port. Only nginx and the supervisor use it: Orthanc refuses clients that are not on loopback "
       "(`RemoteAccessAllowed: false`); the outside world goes through nginx.",
       {}, v::port},
      {"orthanc.stable_age", K::Integer, "60",
       "Seconds without a new instance after which a study counts as complete (Orthanc `StableAge`; drives the webhook).",
       {}, range(1, 86400)},
      {"orthanc.dicomweb_root", K::String, R"("/dicom-web/")", "URL path of the DICOMweb API (QIDO/STOW/WADO-RS).",
       v::url_path_dir},
      {"orthanc.wado_root", K::String, R"("/wado")", "URL path of WADO-URI.", v::url_path},
      {"orthanc.qido_case_sensitive", K::Boolean, "false", "Whether QIDO-RS matches text attributes case-sensitively."},
      {"orthanc.plugins", K::StringArray, R"(["dicomweb", "postgresql", "python", "gdcm"])",
       "Orthanc plugins to load. `explorer2` is loaded only where its plugin file is installed.",
       choice({"dicomweb", "postgresql", "python", "gdcm", "explorer2"})},
      {"orthanc.storage_dir", K::String, R"("/var/lib/orthanc/db")",
       "Where DICOM files live when `database.files = \"disk\"` (put it on the data volume).", v::absolute_path},
      {"orthanc.http_threads", K::Integer, "0",
       "Orthanc HTTP worker threads (`HttpThreadsCount`). 0: derived from the CPU count (16 per core, 16 to 100).",
       {}, range(0, 500)},
      {"orthanc.concurrent_jobs", K::Integer, "0",
       "Jobs Orthanc runs at once (`ConcurrentJobs`). 0: half the CPU count, 2 to 8.", {}, range(0, 64)},
      {"orthanc.allow_unknown_modalities", K::Boolean, "true",
       "Accept C-STORE from any AE title (Orthanc `DicomAlwaysAllowStore`). false: only the modalities listed below."},
      {"orthanc.check_modality_host", K::Boolean, "false",
       "Also check that a known modality's AE title comes from its configured host (`DicomCheckModalityHost`)."},
      {"orthanc.modalities", K::TableArray, "", "Known DICOM peers (`DicomModalities`), one `[[orthanc.modalities]]` each."},
      {"orthanc.modalities.name", K::String, "", "Symbolic name of the modality.", v::identifier, {}, {}, true},
      {"orthanc.modalities.aet", K::String, "", "Its AE title.", v::dicom_aet, {}, {}, true},
      {"orthanc.modalities.host", K::String, "", "Its host name or IP address.", v::hostname, {}, {}, true},
      {"orthanc.modalities.port", K::Integer, "104", "Its DICOM port.", {}, v::port},

      // ------------------------------------------------------------ database
      {"database", K::Section, "", "Where Orthanc keeps its index and, optionally, its files."},
      {"database.mode", K::String, R"("local")",
       "`local`: the appliance's own PostgreSQL. `external`: a server elsewhere (e.g. RDS); the local one is then stopped.",
       choice({"local", "external"})},
      {"database.files", K::String, R"("disk")",
       "Where DICOM files live: `disk` (under `orthanc.storage_dir`; the Orthanc Book's advice, measured here 2.0x "
       "faster STOW and 1.4x faster cold WADO) or `postgresql` (the seed's choice; lets several appliances share one "
       "database without shared storage).",
       choice({"disk", "postgresql"})},
      {"database.host", K::String, R"("")", "Host of the external server (required when `mode = \"external\"`).",
       [](std::string_view s) { return s.empty() ? "" : v::hostname(s); }},
      {"database.port", K::Integer, "5432", "PostgreSQL port (also the port of the local server).", {}, v::port},
      {"database.name", K::String, R"("orthanc")", "Database name.", v::identifier},
      {"database.user", K::String, R"("orthanc")", "Role Orthanc connects as.", v::identifier},
      {"database.password_file", K::String, R"("")",
       "File holding the external server's password (first line). The local password is generated per instance.",
       v::optional_absolute_path},
      {"database.sslmode", K::String, R"("require")",
       "libpq `sslmode` toward an external server; use `verify-full` with `ssl_root_cert` for RDS. The local server is "
       "reached over loopback without TLS.",
       choice({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})},
      {"database.ssl_root_cert", K::String, R"("")",
       "CA bundle that signs the server's certificate (e.g. the RDS bundle); required for verify-ca/verify-full.",
       v::optional_absolute_path},
      {"database.lock", K::Boolean, "true",
       "Take PostgreSQL's exclusive lock (plugin `Lock`). Set false when several appliances share one database."},
      {"database.index_connections", K::Integer, "1",
       "Connections Orthanc opens for the index (`IndexConnectionsCount`).", {}, range(1, 64)},

      // --------------------------------------------------------------- admin
      {"admin", K::Section, "", "The people's administrator account (checked by nginx)."},
      {"admin.user", K::String, R"("admin")", "User name of the administrator.", v::identifier},
      {"admin.rotation_days", K::Integer, "30",
       "Rotate the admin password every this many days; 0 turns automatic rotation off.", {}, range(0, 3650)},

      // ----------------------------------------------------------------- web
      {"web", K::Section, "", "nginx: the appliance's public door."},
      {"web.ohif_path", K::String, R"("/ohif/")", "URL path of the OHIF viewer.", v::url_path_dir},
      {"web.http_port", K::Integer, "80", "HTTP port.", {}, v::port},
      {"web.https_port", K::Integer, "443", "HTTPS port (used when `tls.mode` is not `off`).", {}, v::port},
      {"web.orthanc_port", K::Integer, "8042",
       "Seed-compatible door: Orthanc's REST, UI and DICOMweb on this port, through nginx and its authentication. "
       "0 turns it off.",
       {}, v::port_or_zero},
      {"web.max_upload", K::String, R"("4G")", "Largest request body (STOW-RS upload); \"0\" = unlimited.",
       v::byte_size},
      {"web.cors_origins", K::StringArray, "[]",
       "Web origins allowed to call DICOMweb from a browser (CORS), like `https://app.example.com`.", v::http_origin},
      {"web.frame_ancestors", K::StringArray, "[]",
       "Sites allowed to embed OHIF in an iframe (CSP `frame-ancestors`, in addition to the appliance itself).",
       v::csp_source},
      {"web.users", K::TableArray, "",
       "More accounts for people or the customer's app, one `[[web.users]]` each. Their passwords are not rotated."},
      {"web.users.name", K::String, "", "User name.", v::identifier, {}, {}, true},
      {"web.users.password_file", K::String, "", "File holding the password (first line).", v::absolute_path, {}, {},
       true},

      // ---------------------------------------------------------------- ohif
      {"ohif", K::Section, "", "The OHIF viewer (changing these restarts nothing)."},
      {"ohif.show_study_list", K::Boolean, "true", "Show the study list (false: only direct viewer links work)."},
      {"ohif.max_web_workers", K::Integer, "3", "Image decoding workers per browser tab (`maxNumberOfWebWorkers`).",
       {}, range(1, 16)},
      {"ohif.investigational_use_dialog", K::String, R"("always")",
       "OHIF's \"investigational use\" notice at start: `always` (OHIF's default) or `never`.",
       choice({"always", "never"})},

      // ----------------------------------------------------------------- tls
      {"tls", K::Section, "", "HTTPS."},
      {"tls.mode", K::String, R"("off")",
       "`off`: HTTP only. `acme`: certificates from Let's Encrypt (or `acme_directory`). `manual`: your own files.",
       choice({"off", "acme", "manual"})},
      {"tls.domains", K::StringArray, "[]", "Names on the certificate (acme). Empty: `site.hostnames`.", v::hostname},
      {"tls.email", K::String, R"("")", "Contact for the ACME account (required for acme).",
       [](std::string_view s) { return s.empty() ? "" : v::email(s); }},
      {"tls.acme_directory", K::String, R"("https://acme-v02.api.letsencrypt.org/directory")",
       "ACME directory URL (production, staging or another CA).", v::https_url},
      {"tls.acme_ca_bundle", K::String, R"("")",
       "PEM file of the CAs that sign the ACME directory's HTTPS certificate, for a private CA. Empty: the system's CAs.",
       v::optional_absolute_path},
      {"tls.cert_file", K::String, R"("")", "Certificate chain, PEM (manual).", v::optional_absolute_path},
      {"tls.key_file", K::String, R"("")", "Private key, PEM (manual).", v::optional_absolute_path},
      {"tls.hsts", K::Boolean, "false", "Send Strict-Transport-Security once HTTPS is on."},

      // ------------------------------------------------------------- webhook
      {"webhook", K::Section, "",
       "Study notifications to the customer's app (the seed's `ORTHANC_PLUGIN_*` settings)."},
      {"webhook.url", K::String, R"("")", "Where events are POSTed (`ORTHANC_PLUGIN_RADFLARE_API_URL`). Empty: off.",
       v::optional_http_url},
      {"webhook.api_key_file", K::String, R"("")", "File holding the API key sent with each event (`ORTHANC_PLUGIN_API_KEY`).",
       v::optional_absolute_path},
      {"webhook.queue", K::String, R"("persistent")", "`memory` or `persistent` (`ORTHANC_PLUGIN_QUEUE_TYPE`).",
       choice({"memory", "persistent"})},
      {"webhook.queue_path", K::String, R"("/var/lib/orthanc/queue")",
       "Where the persistent queue lives (`ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH`).", v::absolute_path},
      {"webhook.max_retries", K::Integer, "1", "Retries before an event is dead-lettered (`ORTHANC_PLUGIN_MAX_RETRIES`).",
       {}, range(0, 1000)},
      {"webhook.initial_retry_delay", K::Integer, "20", "Seconds before the first retry (`ORTHANC_PLUGIN_INITIAL_RETRY_DELAY`).",
       {}, range(0, 86400)},
      {"webhook.max_retry_delay", K::Integer, "60", "Longest wait between retries, seconds (`ORTHANC_PLUGIN_MAX_RETRY_DELAY`).",
       {}, range(0, 604800)},
      {"webhook.backoff_factor", K::Number, "2.0", "Each retry waits this many times longer (`ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR`).",
       {}, {}, {}, false, 1.0, 100.0},
      {"webhook.stable_series", K::Boolean, "false", "Also send an event for each stable series."},

      // -------------------------------------------------------------- python
      {"python", K::Section, "", "Orthanc's Python plugin."},
      {"python.script", K::String, R"("")",
       "The operator's own plugin (e.g. the seed's `orthanc_plugin.py`); it replaces the shipped webhook forwarder "
       "and receives the webhook settings as `ORTHANC_PLUGIN_*` variables.",
       v::optional_absolute_path},
      {"python.verbose", K::Boolean, "false", "Verbose Python plugin logs (`PythonVerbose`)."},
      {"python.env", K::StringMap, "{}", "Extra environment variables for the plugin, `NAME = \"value\"`.", v::printable,
       {}, v::env_name},

      // -------------------------------------------------------------- status
      {"status", K::Section, "", "The status page for the office network."},
      {"status.listen", K::String, R"("0.0.0.0")", "Address the status page listens on.", v::ip_address},
      {"status.port", K::Integer, "8090", "Port of the status page.", {}, v::port},
      {"status.allowed_cidrs", K::StringArray,
       R"(["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7"])",
       "Client networks allowed to see the status page; others get 403.", v::cidr},
  };
}

}  // namespace

const std::vector<KeySpec>& schema() {
  static const std::vector<KeySpec> keys = build();
  return keys;
}

const KeySpec* find_key(std::string_view path) {
  for (const auto& k : schema())
    if (k.path == path) return &k;
  return nullptr;
}

std::vector<std::string> child_names(std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& k : schema()) {
    std::string_view p = k.path;
    if (prefix.empty()) {
      if (p.find('.') == std::string_view::npos) out.emplace_back(p);
    } else if (p.size() > prefix.size() + 1 && p.starts_with(prefix) && p[prefix.size()] == '.' &&
               p.find('.', prefix.size() + 1) == std::string_view::npos) {
      out.emplace_back(p.substr(prefix.size() + 1));
    }
  }
  return out;
}

std::string describe(KeyType type) {
  switch (type) {
    case K::Section: return "a table";
    case K::String: return "a string";
    case K::Integer: return "an integer";
    case K::Boolean: return "true or false";
    case K::Number: return "a number";
    case K::StringArray: return "a list of strings";
    case K::StringMap: return "a table of strings";
    case K::TableArray: return "a list of tables ([[…]])";
  }
  return "a value";
}

}  // namespace radflare
