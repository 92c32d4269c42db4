// render_ohif: OHIF's app-config.js for the appliance.
//
// The dist's own app-config.js points at a public demo server. This one
// points OHIF at Orthanc's DICOMweb through nginx, on the same origin, with
// the settings DICOMweb 1.7 needs (no static WADO, no /thumbnail endpoint).
// The object is written by nlohmann::json, so every configured string is
// escaped as JSON (a valid JavaScript literal); nothing is pasted as code.
#include <nlohmann/json.hpp>

#include "render/paths.h"
#include "render/render.h"

namespace radflare {
namespace {

using ordered_json = nlohmann::ordered_json;

std::string without_trailing_slash(const std::string& path) {
  if (path.size() > 1 && path.back() == '/') return path.substr(0, path.size() - 1);
  return path;
}

ordered_json dicomweb_source(const Config& config) {
  const std::string dicomweb = without_trailing_slash(config.orthanc.dicomweb_root);
  ordered_json c;
  c["friendlyName"] = config.site.name.empty() ? "Radflare" : config.site.name;
  c["name"] = "orthanc";
  c["wadoUriRoot"] = config.orthanc.wado_root;
  c["qidoRoot"] = dicomweb;
  c["wadoRoot"] = dicomweb;
  // OHIF 3.13 sends comma-separated includefield whatever this says; nginx
  // splits it into repeated parameters for DICOMweb 1.7.
  c["qidoSupportsIncludeField"] = false;
  c["supportsReject"] = false;
  c["imageRendering"] = "wadors";
  c["thumbnailRendering"] = "wadors";  // DICOMweb 1.7 has no /thumbnail
  c["enableStudyLazyLoad"] = true;
  c["supportsFuzzyMatching"] = false;
  c["supportsWildcard"] = true;
  c["staticWado"] = false;
  c["omitQuotationForMultipartRequest"] = true;
  c["bulkDataURI"] = {{"enabled", true}, {"relativeResolution", "studies"}};
  return {{"namespace", "@ohif/extension-default.dataSourcesModule.dicomweb"},
          {"sourceName", "dicomweb"},
          {"configuration", c}};
}

ordered_json window_config(const Config& config) {
  ordered_json w;
  w["name"] = "radflare";
  w["routerBasename"] = without_trailing_slash(config.web.ohif_path);
  w["extensions"] = ordered_json::array();
  w["modes"] = ordered_json::array();
  w["customizationService"] = ordered_json::object();
  w["showStudyList"] = config.ohif.show_study_list;
  w["maxNumberOfWebWorkers"] = config.ohif.max_web_workers;
  w["showWarningMessageForCrossOrigin"] = true;
  w["showCPUFallbackMessage"] = true;
  w["showLoadingIndicator"] = true;
  w["experimentalStudyBrowserSort"] = false;
  w["strictZSpacingForVolumeViewport"] = true;
  w["groupEnabledModesFirst"] = true;
  w["allowMultiSelectExport"] = false;
  w["maxNumRequests"] = {{"interaction", 100}, {"thumbnail", 5}, {"prefetch", 25}};
  w["showErrorDetails"] = "always";  // operators need the detail to report problems
  w["investigationalUseDialog"] = {{"option", config.ohif.investigational_use_dialog}};
  w["defaultDataSourceName"] = "dicomweb";
  w["dataSources"] = ordered_json::array({dicomweb_source(config)});
  return w;
}

}  // namespace

std::vector<PlannedFile> render_ohif(const Config& config) {
  std::string js =
      "// OHIF viewer configuration.\n// Rendered by radflare from radflare.toml; edits here are overwritten.\n"
      "window.config = " + window_config(config).dump(2) + ";\n";
  return {{paths::kOhifAppConfig, js, 0644, "root", "root", false}};
}

}  // namespace radflare
