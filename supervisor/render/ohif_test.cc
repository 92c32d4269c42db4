#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "render/paths.h"
#include "render/render.h"
#include "render/testing.h"

namespace radflare {
namespace {

using nlohmann::json;
using testing::example_config;

const std::string kPrefix = "window.config = ";

// The object assigned to window.config.
json window_config(const std::string& js) {
  size_t start = js.find(kPrefix);
  REQUIRE(start != std::string::npos);
  REQUIRE(js.ends_with(";\n"));
  start += kPrefix.size();
  return json::parse(js.substr(start, js.size() - 2 - start));
}

TEST_CASE("ohif: app-config.js for Orthanc's DICOMweb behind nginx") {
  auto files = render_ohif(example_config());
  REQUIRE(files.size() == 1);
  const auto& f = testing::file_at(files, paths::kOhifAppConfig);
  CHECK(f.mode == 0644);
  CHECK_FALSE(f.secret);

  json w = window_config(f.bytes);
  CHECK(w["routerBasename"] == "/ohif");
  CHECK(w["showStudyList"] == true);
  CHECK(w["extensions"] == json::array());
  CHECK(w["modes"] == json::array());
  CHECK(w["defaultDataSourceName"] == "dicomweb");
  REQUIRE(w["dataSources"].size() == 1);
  const json& ds = w["dataSources"][0];
  CHECK(ds["namespace"] == "@ohif/extension-default.dataSourcesModule.dicomweb");
  CHECK(ds["sourceName"] == "dicomweb");
  const json& c = ds["configuration"];
  CHECK(c["qidoRoot"] == "/dicom-web");
  CHECK(c["wadoRoot"] == "/dicom-web");
  CHECK(c["wadoUriRoot"] == "/wado");
  CHECK(c["imageRendering"] == "wadors");
  CHECK(c["thumbnailRendering"] == "wadors");
  CHECK(c["staticWado"] == false);
  CHECK(c["omitQuotationForMultipartRequest"] == true);
  CHECK(c["supportsFuzzyMatching"] == false);
  CHECK(c["bulkDataURI"] == json{{"enabled", true}, {"relativeResolution", "studies"}});
}

TEST_CASE("ohif: paths follow the configuration; strings are escaped") {
  Config cfg = example_config();
  cfg.web.ohif_path = "/viewer/";
  cfg.orthanc.dicomweb_root = "/dw/";
  cfg.orthanc.wado_root = "/wado-uri";
  cfg.site.name = "St. Mary's \"Radiology\" </script><script>alert(1)</script>";
  std::string js = render_ohif(cfg)[0].bytes;
  json w = window_config(js);
  CHECK(w["routerBasename"] == "/viewer");
  CHECK(w["dataSources"][0]["configuration"]["qidoRoot"] == "/dw");
  CHECK(w["dataSources"][0]["configuration"]["wadoUriRoot"] == "/wado-uri");
  CHECK(w["dataSources"][0]["configuration"]["friendlyName"] == cfg.site.name);  // survives as data

  cfg.web.ohif_path = "/";
  CHECK(window_config(render_ohif(cfg)[0].bytes)["routerBasename"] == "/");
}

TEST_CASE("ohif: app-config.js runs in JavaScript and sets window.config") {
  if (::access("/usr/bin/node", X_OK) != 0) {
    MESSAGE("node not installed: skipped");
    return;
  }
  Config cfg = example_config();
  cfg.site.name = "Quote \" and newline\n and '";
  auto dir = std::filesystem::temp_directory_path() / ("radflare-ohif-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "app-config.js") << render_ohif(cfg)[0].bytes;
  std::string cmd = "/usr/bin/node -e \"const window = {}; eval(require('fs').readFileSync('" +
                    (dir / "app-config.js").string() +
                    "', 'utf8')); console.log(JSON.stringify([window.config.routerBasename, "
                    "window.config.dataSources[0].configuration.friendlyName]));\" 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 512> buf{};
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  CHECK(::pclose(p) == 0);
  std::filesystem::remove_all(dir);
  CHECK(out == json::array({"/ohif", cfg.site.name}).dump() + "\n");
}

}  // namespace
}  // namespace radflare
