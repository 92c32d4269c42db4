// Where the rendered artifacts live on the appliance. One place, so the
// renderers, the unit-action table, the units/ drop-ins and the tests agree.
#pragma once

namespace radflare::paths {

// Orthanc reads every .json in this folder (the orthanc.service drop-in
// points ExecStart at it instead of Debian's /etc/orthanc).
inline constexpr const char* kOrthancDir = "/etc/radflare/orthanc";
inline constexpr const char* kOrthancJson = "/etc/radflare/orthanc/orthanc.json";
inline constexpr const char* kOrthancCredentials = "/etc/radflare/orthanc/credentials.json";
inline constexpr const char* kOrthancPostgresql = "/etc/radflare/orthanc/postgresql.json";
inline constexpr const char* kOrthancDicomweb = "/etc/radflare/orthanc/dicomweb.json";
inline constexpr const char* kOrthancPython = "/etc/radflare/orthanc/python.json";
inline constexpr const char* kOrthancGdcm = "/etc/radflare/orthanc/gdcm.json";
// Environment of orthanc.service (ORTHANC_PLUGIN_* for the Python plugin).
inline constexpr const char* kOrthancEnv = "/etc/radflare/orthanc.env";
// Settings of the shipped webhook forwarder (read by the Python plugin).
inline constexpr const char* kWebhookJson = "/etc/radflare/orthanc/webhook.json";

inline constexpr const char* kNginxSite = "/etc/nginx/conf.d/radflare.conf";
// Who may pass nginx's edge authentication (map of Authorization headers).
inline constexpr const char* kNginxUsers = "/etc/nginx/radflare-users.conf";
// Credential nginx sends to Orthanc (proxy_set_header Authorization ...).
inline constexpr const char* kNginxUpstreamAuth = "/etc/nginx/radflare-upstream-auth.conf";

inline constexpr const char* kOhifAppConfig = "/etc/radflare/ohif/app-config.js";
// The OHIF dist as shipped (built for "/") and the copy laid out for the
// configured sub-path by `radflare layout-ohif`.
inline constexpr const char* kOhifPristine = "/usr/share/radflare/ohif";
inline constexpr const char* kOhifServed = "/var/lib/radflare/www/ohif";

inline constexpr const char* kAcmeWebroot = "/var/lib/radflare/acme-webroot";
// tls.mode = "acme": the pair nginx always serves (a self-signed placeholder
// until the first certificate is issued), copied from certbot's lineage by
// the supervisor (acme/renewal.cc); certbot's own state; the renewal record.
inline constexpr const char* kTlsDir = "/var/lib/radflare/tls";
inline constexpr const char* kTlsFullchain = "/var/lib/radflare/tls/fullchain.pem";
inline constexpr const char* kTlsPrivkey = "/var/lib/radflare/tls/privkey.pem";
inline constexpr const char* kAcmeRecord = "/var/lib/radflare/tls/renewal.json";
inline constexpr const char* kLetsEncryptDir = "/var/lib/radflare/letsencrypt";

// PostgreSQL: settings a reload applies, and settings that need a restart.
// Both under the cluster's conf.d (include_dir in Debian's postgresql.conf);
// the version directory comes from HostFacts.
inline constexpr const char* kPostgresConfDirFmt = "/etc/postgresql/{}/main/conf.d";
inline constexpr const char* kPostgresReloadConf = "radflare-reload.conf";
inline constexpr const char* kPostgresRestartConf = "radflare-restart.conf";
// Idempotent SQL that creates/updates the local role and database.
inline constexpr const char* kPostgresBootstrap = "/etc/radflare/postgresql-bootstrap.sql";

inline constexpr const char* kSecretsDir = "/var/lib/radflare/secrets";
// When the admin password was last rotated (the schedule survives reboots).
inline constexpr const char* kAdminRotationRecord = "/var/lib/radflare/admin-password-rotation.json";

}  // namespace radflare::paths
