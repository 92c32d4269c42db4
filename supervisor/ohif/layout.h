// Serving the prebuilt OHIF viewer under a sub-path such as /ohif/.
//
// The OHIF dist on npm is built for "/": its index.html, its webpack runtime
// (the public path chunks load from) and its CSS hold absolute "/..." URLs.
// Served under /ohif/ unchanged, the page stays blank (ChunkLoadError: the
// missing chunks come back as index.html). layout_ohif() writes a copy with
// those URLs moved under the base path; every other file is hard-linked, so
// the ~200 MB dist is not duplicated.
#pragma once

#include <filesystem>
#include <string>

namespace radflare {

// Lays out `pristine_dist` (OHIF's dist/, built for "/") in `out_dir` for
// `base_path` ("/ohif/": starts and ends with '/', only URL-safe characters).
//
// - index.html: window.PUBLIC_URL and every href="/, src="/ and
//   content="/assets/ moved under the base path;
// - JS bundles setting `__webpack_require__.p = "/"` (or, minified,
//   `__webpack_require__.p="/"`): the public path;
// - CSS: url(/...) references; manifest.json: its "/assets/ icons;
// - app-config.js is left out (nginx serves the rendered one);
// - everything else is hard-linked (copied across filesystems).
//
// The result is built in a sibling temp directory and swapped into place, so
// nginx never serves a half-done layout. Running it again gives the same
// tree. Throws std::invalid_argument for a bad base path and
// std::runtime_error when the dist is missing or does not look like OHIF's.
void layout_ohif(const std::filesystem::path& pristine_dist, const std::filesystem::path& out_dir,
                 const std::string& base_path);

}  // namespace radflare
