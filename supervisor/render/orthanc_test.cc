#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "render/paths.h"
#include "render/render.h"
#include "render/testing.h"

namespace radflare {
namespace {

using nlohmann::json;
using testing::example_config;
using testing::file_at;

json parse(const PlannedFile& file) {
  REQUIRE(!file.bytes.empty());
  CHECK(file.bytes.back() == '\n');
  return json::parse(file.bytes);
}

bool has_file(const std::vector<PlannedFile>& files, const std::string& path) {
  for (const auto& f : files)
    if (f.path == path) return true;
  return false;
}

TEST_CASE("orthanc: orthanc.json carries the Config, key by key") {
  Config c = example_config();
  c.orthanc.modalities = {{"ct1", "CT_SCANNER", "10.0.0.5", 104},
                          {"mr", "MR-1", "mr.example.org", 11112}};
  c.orthanc.allow_unknown_modalities = false;
  c.orthanc.check_modality_host = true;
  const auto files = render_orthanc(c);
  const PlannedFile& file = file_at(files, paths::kOrthancJson);
  CHECK(file.mode == 0644);
  CHECK(file.owner == "root");
  CHECK(file.group == "root");
  CHECK_FALSE(file.secret);

  const json j = parse(file);
  CHECK(j["Name"] == "Radflare");
  CHECK(j["DicomAet"] == "RADFLARE");
  CHECK(j["DicomPort"] == 4242);
  CHECK(j["HttpPort"] == 8044);
  CHECK(j["RemoteAccessAllowed"] == false);
  CHECK(j["AuthenticationEnabled"] == true);
  CHECK(j["SslEnabled"] == false);
  CHECK(j["StableAge"] == 60);
  CHECK(j["StorageDirectory"] == "/var/lib/orthanc/db");
  CHECK(j["IndexDirectory"] == "/var/lib/orthanc/db");
  CHECK(j["HttpThreadsCount"] == 16);
  CHECK(j["ConcurrentJobs"] == 2);
  CHECK(j["DicomAlwaysAllowStore"] == false);
  CHECK(j["DicomCheckModalityHost"] == true);
  CHECK(j["DicomModalitiesInDatabase"] == false);
  CHECK(j["HttpsCACertificates"] == "/etc/ssl/certs/ca-certificates.crt");
  CHECK(j["HttpsVerifyPeers"] == true);
  CHECK(j["KeepAlive"] == true);
  CHECK(j["TcpNoDelay"] == true);
  CHECK(j["WebDavEnabled"] == false);
  CHECK(j["ExecuteLuaEnabled"] == false);
  CHECK(j["SyncStorageArea"] == true);
  CHECK(j["SaveJobs"] == true);
  CHECK(j["CheckRevisions"] == false);
  CHECK(j["DicomModalities"]["ct1"] == json::array({"CT_SCANNER", "10.0.0.5", 104}));
  CHECK(j["DicomModalities"]["mr"] == json::array({"MR-1", "mr.example.org", 11112}));
  CHECK_FALSE(j.contains("RegisteredUsers"));
  CHECK_FALSE(j.contains("OrthancExplorer2"));
  CHECK_FALSE(j.contains("DicomWeb"));  // lives in dicomweb.json
}

TEST_CASE("orthanc: plugins are explicit .so paths, only the enabled ones") {
  Config c = example_config();  // dicomweb, postgresql, python, gdcm; files on disk
  c.host.orthanc_plugin_dir = "/usr/share/orthanc/plugins/";  // trailing '/' tolerated
  json plugins = parse(file_at(render_orthanc(c), paths::kOrthancJson))["Plugins"];
  CHECK(plugins == json::array({"/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so",
                                "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
                                "/usr/share/orthanc/plugins/libOrthancGdcm.so",
                                "/usr/share/orthanc/plugins/libOrthancPython.so"}));

  SUBCASE("files in PostgreSQL add the storage plugin") {
    c.database.files = FileStorage::PostgreSQL;
    plugins = parse(file_at(render_orthanc(c), paths::kOrthancJson))["Plugins"];
    CHECK(plugins[1] == "/usr/share/orthanc/plugins/libOrthancPostgreSQLStorage.so");
    CHECK(plugins.size() == 5);
  }
  SUBCASE("no plugins at all") {
    c.orthanc.plugins.clear();
    const auto files = render_orthanc(c);
    CHECK(parse(file_at(files, paths::kOrthancJson))["Plugins"] == json::array());
    CHECK_FALSE(has_file(files, paths::kOrthancDicomweb));
    CHECK_FALSE(has_file(files, paths::kOrthancGdcm));
  }
  SUBCASE("explorer2 only when enabled and installed") {
    c.orthanc.plugins.push_back("explorer2");
    json j = parse(file_at(render_orthanc(c), paths::kOrthancJson));
    CHECK_FALSE(j.contains("OrthancExplorer2"));
    for (const auto& p : j["Plugins"])
      CHECK(p.get<std::string>().find("Explorer2") == std::string::npos);

    c.host.explorer2_installed = true;
    j = parse(file_at(render_orthanc(c), paths::kOrthancJson));
    CHECK(j["OrthancExplorer2"] == json{{"Enable", true}, {"IsDefaultOrthancUI", true}});
    CHECK(j["Plugins"].back() == "/usr/share/orthanc/plugins/libOrthancExplorer2.so");
  }
}

TEST_CASE("orthanc: a shared database means several writers") {
  Config c = example_config();
  c.database.lock = false;
  json j = parse(file_at(render_orthanc(c), paths::kOrthancJson));
  CHECK(j["SaveJobs"] == false);
  CHECK(j["CheckRevisions"] == true);

  // Without the PostgreSQL index (SQLite) revisions are not supported.
  c.orthanc.plugins = {"dicomweb"};
  j = parse(file_at(render_orthanc(c), paths::kOrthancJson));
  CHECK(j["CheckRevisions"] == false);
  CHECK(j["SaveJobs"] == true);
}

TEST_CASE("orthanc: credentials.json holds only the proxy user") {
  const Config c = example_config();
  const auto files = render_orthanc(c);
  const PlannedFile& file = file_at(files, paths::kOrthancCredentials);
  CHECK(file.mode == 0640);
  CHECK(file.owner == "root");
  CHECK(file.group == "orthanc");
  CHECK(file.secret);
  const json j = parse(file);
  CHECK(j == json{{"RegisteredUsers", {{kProxyUser, "test-proxy-password"}}}});

  // The proxy password is in credentials.json and nowhere else; the people's
  // and the database's passwords are in none of these files.
  for (const auto& f : files) {
    CHECK(f.bytes.find("test-admin-password") == std::string::npos);
    CHECK(f.bytes.find("test-db-password") == std::string::npos);
    if (f.path != paths::kOrthancCredentials)
      CHECK(f.bytes.find("test-proxy-password") == std::string::npos);
  }
}

TEST_CASE("orthanc: dicomweb.json has no Host key") {
  Config c = example_config();
  c.orthanc.dicomweb_root = "/dicom-web/";
  c.orthanc.wado_root = "/wado";
  c.orthanc.qido_case_sensitive = true;
  const auto files = render_orthanc(c);
  const PlannedFile& file = file_at(files, paths::kOrthancDicomweb);
  CHECK(file.mode == 0644);
  CHECK_FALSE(file.secret);
  const json d = parse(file)["DicomWeb"];
  CHECK(d["Enable"] == true);
  CHECK(d["Root"] == "/dicom-web/");
  CHECK(d["EnableWado"] == true);
  CHECK(d["WadoRoot"] == "/wado");
  CHECK(d["Ssl"] == false);
  CHECK(d["QidoCaseSensitive"] == true);
  CHECK_FALSE(d.contains("Host"));
}

TEST_CASE("orthanc: gdcm.json throttles to the core count and keeps GDCM to JPEG 2000") {
  Config c = example_config();
  c.host.cpu_count = 8;
  const auto files = render_orthanc(c);
  const PlannedFile& file = file_at(files, paths::kOrthancGdcm);
  CHECK(file.mode == 0644);
  const json j2k = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
                    "1.2.840.10008.1.2.4.93"};
  CHECK(parse(file) ==
        json{{"Gdcm", {{"Enable", true}, {"Throttling", 8}, {"RestrictTransferSyntaxes", j2k}}}});
}

TEST_CASE("orthanc: hostile strings stay inside their JSON values") {
  Config c = example_config();
  c.site.name = "Evil\", \"RemoteAccessAllowed\": true, \"x\": \"";
  c.internal.proxy_password = Secret("p\"w\\d\n}{");
  c.orthanc.modalities = {{"a\"b", "AET", "h\"ost", 104}};
  const auto files = render_orthanc(c);
  const json j = parse(file_at(files, paths::kOrthancJson));
  CHECK(j["Name"] == c.site.name);
  CHECK(j["RemoteAccessAllowed"] == false);
  CHECK(j["DicomModalities"]["a\"b"][1] == "h\"ost");
  CHECK(parse(file_at(files, paths::kOrthancCredentials))["RegisteredUsers"][kProxyUser] ==
        "p\"w\\d\n}{");
}

TEST_CASE("orthanc: rendering is deterministic") {
  const Config c = example_config();
  const auto a = render_orthanc(c);
  const auto b = render_orthanc(c);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].bytes == b[i].bytes);
}

}  // namespace
}  // namespace radflare
