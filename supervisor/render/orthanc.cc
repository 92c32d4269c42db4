// Orthanc's configuration folder: orthanc.json (no secrets), credentials.json
// (the proxy user), and one file per plugin that has settings of its own.
//
// Orthanc merges every .json file of the folder into one configuration, so
// each top-level key lives in exactly one file. Key names and defaults are
// those of Debian's reference /etc/orthanc/orthanc.json (Orthanc 1.10.1) and
// of the plugins' sections in the Orthanc Book; nothing here is newer.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "render/paths.h"
#include "render/render.h"

namespace radflare {
namespace {

using nlohmann::ordered_json;

// Debian's curl bundle; without it Orthanc looks for CAs in its config folder
// and every outgoing HTTPS request (DICOMweb client, peers) fails.
constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

std::string json_text(const ordered_json& value) { return value.dump(2) + "\n"; }

std::string plugin_path(const Config& config, const std::string& library) {
  std::string dir = config.host.orthanc_plugin_dir;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + library;
}

bool explorer2_active(const Config& config) {
  return config.orthanc.has_plugin("explorer2") && config.host.explorer2_installed;
}

// Explicit .so paths rather than Debian's whole folder: a package that drops
// another plugin there (or a stale one) must not be loaded behind our back.
ordered_json plugin_list(const Config& config) {
  const OrthancConfig& o = config.orthanc;
  ordered_json list = ordered_json::array();
  if (o.has_plugin("postgresql")) {
    list.push_back(plugin_path(config, "libOrthancPostgreSQLIndex.so"));
    // The storage plugin takes over the storage area as soon as it is loaded
    // with EnableStorage; load it only when the files really live there.
    if (config.database.files == FileStorage::PostgreSQL)
      list.push_back(plugin_path(config, "libOrthancPostgreSQLStorage.so"));
  }
  if (o.has_plugin("dicomweb")) list.push_back(plugin_path(config, "libOrthancDicomWeb.so"));
  if (o.has_plugin("gdcm")) list.push_back(plugin_path(config, "libOrthancGdcm.so"));
  if (o.has_plugin("python")) list.push_back(plugin_path(config, "libOrthancPython.so"));
  if (explorer2_active(config)) list.push_back(plugin_path(config, "libOrthancExplorer2.so"));
  return list;
}

ordered_json modality_list(const Config& config) {
  ordered_json modalities = ordered_json::object();
  for (const Modality& m : config.orthanc.modalities)
    modalities[m.name] = ordered_json::array({m.aet, m.host, m.port});
  return modalities;
}

ordered_json orthanc_json(const Config& config) {
  const OrthancConfig& o = config.orthanc;
  // Several appliances sharing one database (Lock false) are several writers:
  // the Book asks for SaveJobs false there (jobs would be resumed by every
  // instance) and CheckRevisions true (PostgreSQL plugin >= 4.0 supports it;
  // the SQLite index does not, so only with the PostgreSQL index).
  const bool shared_database = o.has_plugin("postgresql") && !config.database.lock;

  ordered_json j;
  j["Name"] = config.site.name;

  // Storage. IndexDirectory only matters without the PostgreSQL index.
  j["StorageDirectory"] = o.storage_dir;
  j["IndexDirectory"] = o.storage_dir;
  j["StorageCompression"] = false;  // Book's performance advice; PG compresses itself
  j["SyncStorageArea"] = true;      // fsync each DICOM file: a modality's C-STORE
                                    // success must mean the file is on disk
  j["Plugins"] = plugin_list(config);
  j["ConcurrentJobs"] = o.concurrent_jobs;
  j["SaveJobs"] = !shared_database;
  j["CheckRevisions"] = shared_database;

  // HTTP: only nginx and the supervisor connect, over loopback. Orthanc 1.10
  // cannot bind to one address, so RemoteAccessAllowed false is what keeps
  // other hosts out; authentication stays on so a local process without the
  // proxy credential gets nothing either.
  j["HttpServerEnabled"] = true;
  j["HttpPort"] = o.http_port;
  j["RemoteAccessAllowed"] = false;
  j["AuthenticationEnabled"] = true;
  j["SslEnabled"] = false;  // TLS ends at nginx
  j["HttpThreadsCount"] = o.http_threads;
  j["KeepAlive"] = true;                // the Book: best performance with both KeepAlive
  j["TcpNoDelay"] = true;               // and TcpNoDelay (nginx keeps upstream connections)
  j["HttpCompressionEnabled"] = false;  // loopback: gzip costs CPU, saves nothing;
                                        // nginx compresses towards browsers
  j["WebDavEnabled"] = false;           // unused door that can upload and browse
  j["ExecuteLuaEnabled"] = false;       // /tools/execute-script runs arbitrary Lua
  j["MetricsEnabled"] = true;           // /tools/metrics-prometheus for the status page
  j["HttpsVerifyPeers"] = true;
  j["HttpsCACertificates"] = kSystemCaBundle;

  // DICOM.
  j["DicomServerEnabled"] = true;
  j["DicomAet"] = o.aet;
  j["DicomPort"] = o.dicom_port;
  j["DicomAlwaysAllowStore"] = o.allow_unknown_modalities;
  j["DicomCheckModalityHost"] = o.check_modality_host;
  j["DicomModalities"] = modality_list(config);
  // The TOML is the single source of truth: modalities added through the REST
  // API would otherwise be stored in the database and outlive a reload.
  j["DicomModalitiesInDatabase"] = false;
  // The largest PDU Orthanc accepts (default 16 KiB): fewer, larger PDUs per
  // C-STORE from modalities that propose more (bench/tuning/recommended.sh).
  j["MaximumPduLength"] = 131072;
  j["StableAge"] = o.stable_age;

  if (explorer2_active(config))
    j["OrthancExplorer2"] = {{"Enable", true}, {"IsDefaultOrthancUI", true}};
  return j;
}

// People authenticate at nginx; Orthanc knows only the internal proxy user.
ordered_json credentials_json(const Config& config) {
  ordered_json users = ordered_json::object();
  users[kProxyUser] = config.internal.proxy_password.reveal();
  return {{"RegisteredUsers", users}};
}

ordered_json dicomweb_json(const Config& config) {
  const OrthancConfig& o = config.orthanc;
  // No "Host": Debian's "localhost" ends up in BulkDataURIs and breaks remote
  // browsers. Without it the plugin builds URLs from the Forwarded / Host
  // headers nginx sends, which also carry the https scheme, so Ssl is false.
  return {{"DicomWeb",
           {{"Enable", true},
            {"Root", o.dicomweb_root},
            {"EnableWado", true},
            {"WadoRoot", o.wado_root},
            {"Ssl", false},
            {"QidoCaseSensitive", o.qido_case_sensitive}}}};
}

ordered_json gdcm_json(const Config& config) {
  // Throttling bounds the threads decoding through GDCM at once; decoding is
  // CPU-bound, so one per core keeps the HTTP threads responsive.
  const int throttling = config.host.cpu_count > 0 ? config.host.cpu_count : 1;
  // GDCM only for JPEG 2000, which Orthanc's own DCMTK cannot decode; DCMTK keeps
  // every other syntax. Without the list, GDCM 3.0.21 (plugin 1.5) transcodes
  // everything, and a WADO-RS retrieve of an Explicit VR Big Endian instance
  // (default syntax: Little Endian, so a transcode) overflows a civetweb thread's
  // stack inside libgdcmMSFF and takes all of Orthanc down (measured). Later
  // plugin releases restrict themselves to JPEG 2000 by default.
  const ordered_json jpeg2000 = {
      "1.2.840.10008.1.2.4.90",  // JPEG 2000 (lossless only)
      "1.2.840.10008.1.2.4.91",  // JPEG 2000
      "1.2.840.10008.1.2.4.92",  // JPEG 2000 Part 2 multi-component (lossless only)
      "1.2.840.10008.1.2.4.93",  // JPEG 2000 Part 2 multi-component
  };
  return {{"Gdcm", {{"Enable", true}, {"Throttling", throttling}, {"RestrictTransferSyntaxes", jpeg2000}}}};
}

PlannedFile public_file(const char* path, const ordered_json& content) {
  return PlannedFile{path, json_text(content), 0644, "root", "root", false};
}

}  // namespace

std::vector<PlannedFile> render_orthanc(const Config& config) {
  std::vector<PlannedFile> files;
  files.push_back(public_file(paths::kOrthancJson, orthanc_json(config)));
  // Orthanc runs as user orthanc: it reads the passwords through its group.
  files.push_back(PlannedFile{paths::kOrthancCredentials, json_text(credentials_json(config)), 0640,
                              "root", "orthanc", true});
  if (config.orthanc.has_plugin("dicomweb"))
    files.push_back(public_file(paths::kOrthancDicomweb, dicomweb_json(config)));
  if (config.orthanc.has_plugin("gdcm"))
    files.push_back(public_file(paths::kOrthancGdcm, gdcm_json(config)));
  return files;
}

}  // namespace radflare
