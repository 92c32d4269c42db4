#include "render/testing.h"

#include <doctest/doctest.h>

namespace radflare::testing {

Config example_config() {
  Config c;
  c.source_path = "/etc/radflare.toml";
  c.site.name = "Radflare";
  c.orthanc.aet = "RADFLARE";
  c.orthanc.dicom_port = 4242;
  c.orthanc.http_port = 8044;
  c.orthanc.stable_age = 60;
  c.orthanc.dicomweb_root = "/dicom-web/";
  c.orthanc.wado_root = "/wado";
  c.orthanc.plugins = {"dicomweb", "postgresql", "python", "gdcm"};
  c.orthanc.storage_dir = "/var/lib/orthanc/db";
  c.orthanc.http_threads = 16;
  c.orthanc.concurrent_jobs = 2;
  c.database.mode = DatabaseMode::Local;
  c.database.files = FileStorage::Disk;
  c.database.host = "localhost";
  c.database.port = 5432;
  c.database.name = "orthanc";
  c.database.user = "orthanc";
  c.database.password = Secret("test-db-password");
  c.database.sslmode = "disable";
  c.admin.user = "admin";
  c.admin.password = Secret("test-admin-password");
  c.web.ohif_path = "/ohif/";
  c.web.max_upload = "4G";
  c.web.max_upload_bytes = 4LL << 30;
  c.tls.acme_directory = "https://acme-v02.api.letsencrypt.org/directory";
  c.webhook.queue_path = "/var/lib/orthanc/queue";
  c.status.listen = "0.0.0.0";
  c.status.allowed_cidrs = {"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"};
  c.internal.proxy_password = Secret("test-proxy-password");
  return c;
}

const PlannedFile& file_at(const std::vector<PlannedFile>& files, const std::string& path) {
  for (const auto& f : files)
    if (f.path == path) return f;
  FAIL("no planned file at " << path);
  throw 0;  // unreachable: FAIL throws
}

}  // namespace radflare::testing
