// The typed, validated configuration of the appliance.
//
// Produced by load_config() (config/load.h) from /etc/radflare.toml: every
// default is applied, every value has passed validation, and every secret
// file has been read. Renderers (render/) take a `const Config&` and nothing
// else, so they are pure functions of this struct.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/secret.h"

namespace radflare {

// Facts about the machine the config is rendered for. Defaults that depend on
// the hardware (thread counts, PostgreSQL memory) are derived from these, so
// golden tests pass fixed facts and the CLI passes the real host's.
struct HostFacts {
  int cpu_count = 2;
  int64_t memory_mb = 4096;
  std::string postgresql_version = "15";  // major version of the local server
  std::string orthanc_plugin_dir = "/usr/share/orthanc/plugins";
  bool explorer2_installed = false;       // libOrthancExplorer2.so present
};

struct Modality {
  std::string name;  // key in Orthanc's "DicomModalities"
  std::string aet;
  std::string host;
  int port = 104;
};

struct WebUser {
  std::string name;
  Secret password;  // read from password_file
};

enum class DatabaseMode { Local, External };
enum class FileStorage { Disk, PostgreSQL };
enum class TlsMode { Off, Acme, Manual };
enum class QueueType { Memory, Persistent };

struct SiteConfig {
  std::string name;                    // Orthanc "Name"
  std::vector<std::string> hostnames;  // nginx server_name; empty = any
};

struct OrthancConfig {
  std::string aet;
  int dicom_port = 4242;
  int http_port = 8044;  // loopback only; nginx is the public door
  int stable_age = 60;
  std::string dicomweb_root;  // always starts and ends with '/'
  std::string wado_root;      // starts with '/', no trailing '/'
  bool qido_case_sensitive = false;
  std::vector<std::string> plugins;  // subset of dicomweb, postgresql, python, gdcm, explorer2
  std::string storage_dir;
  int http_threads = 0;     // resolved (never 0 after load)
  int concurrent_jobs = 0;  // resolved (never 0 after load)
  bool allow_unknown_modalities = true;  // DicomAlwaysAllowStore
  bool check_modality_host = false;
  std::vector<Modality> modalities;

  bool has_plugin(const std::string& name) const;
};

struct DatabaseConfig {
  DatabaseMode mode = DatabaseMode::Local;
  FileStorage files = FileStorage::Disk;
  std::string host;  // "localhost" when local
  int port = 5432;
  std::string name;
  std::string user;
  Secret password;        // local: generated secret; external: password_file
  std::string sslmode;    // disable|allow|prefer|require|verify-ca|verify-full
  std::string ssl_root_cert;  // CA bundle path for verify-ca/verify-full
  bool lock = true;           // false when several appliances share the DB
  int index_connections = 1;
};

struct AdminConfig {
  std::string user;
  int rotation_days = 30;  // 0 = never rotate automatically
  Secret password;         // the people's admin password (secret store)
};

struct WebConfig {
  std::string ohif_path;  // always starts and ends with '/'
  int http_port = 80;
  int https_port = 443;
  int orthanc_port = 8042;  // seed-compatible door to Orthanc via nginx; 0 = off
  int64_t max_upload_bytes = 0;  // client_max_body_size; 0 = unlimited
  std::string max_upload;        // as written, e.g. "4G" (for nginx)
  std::vector<std::string> cors_origins;     // scheme://host[:port]
  std::vector<std::string> frame_ancestors;  // CSP sources
  std::vector<WebUser> users;                // extra people/app accounts
};

// Settings of the viewer alone: changing them rewrites app-config.js and
// restarts nothing (browsers pick it up on their next page load).
struct OhifConfig {
  bool show_study_list = true;
  int max_web_workers = 3;
  std::string investigational_use_dialog = "always";  // always | never
};

struct TlsConfig {
  TlsMode mode = TlsMode::Off;
  std::vector<std::string> domains;
  std::string email;
  std::string acme_directory;
  std::string acme_ca_bundle;  // trust for a private ACME CA; empty = system CAs
  std::string cert_file;  // manual mode
  std::string key_file;   // manual mode
  bool hsts = false;
};

struct WebhookConfig {
  std::string url;  // empty = shipped forwarder off
  Secret api_key;   // from api_key_file
  std::string api_key_file;
  QueueType queue = QueueType::Persistent;
  std::string queue_path;
  int max_retries = 1;
  int initial_retry_delay = 20;  // seconds
  int max_retry_delay = 60;      // seconds
  double backoff_factor = 2.0;
  bool stable_series = false;

  bool enabled() const { return !url.empty(); }
};

struct PythonConfig {
  std::string script;  // operator's own plugin; empty = shipped forwarder
  std::map<std::string, std::string> env;  // extra variables for the plugin
  bool verbose = false;
};

struct StatusConfig {
  std::string listen;  // address
  int port = 8090;
  std::vector<std::string> allowed_cidrs;
};

// Credentials the appliance generates for itself and never shows anyone.
struct InternalSecrets {
  Secret proxy_password;  // nginx and the supervisor -> Orthanc
};

struct Config {
  std::string source_path;  // the TOML file it came from
  HostFacts host;
  SiteConfig site;
  OrthancConfig orthanc;
  DatabaseConfig database;
  AdminConfig admin;
  WebConfig web;
  OhifConfig ohif;
  TlsConfig tls;
  WebhookConfig webhook;
  PythonConfig python;
  StatusConfig status;
  InternalSecrets internal;
};

// The Orthanc user that nginx and the supervisor use; people never see it.
inline constexpr const char* kProxyUser = "radflare-proxy";

}  // namespace radflare
