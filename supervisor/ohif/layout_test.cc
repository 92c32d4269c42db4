#include "ohif/layout.h"

#include "ohif/gzip.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace radflare {
namespace {

namespace fs = std::filesystem;

class Scratch {
 public:
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "radflare-layout-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;  // best effort
    fs::remove_all(path, ec);
  }
  fs::path path;
};

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string get(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

// A dist shaped like OHIF's, built for "/".
fs::path fake_dist(const fs::path& root) {
  fs::path d = root / "dist";
  put(d / "index.html",
      "<meta name=\"msapplication-TileImage\" content=\"/assets/tile.png\">"
      "<script>window.PUBLIC_URL=\"/\"</script><link rel=\"manifest\" href=\"/manifest.json\">"
      "<script src=\"/app-config.js\"></script><script src=\"//cdn.example/x.js\"></script>"
      "<script>window.PUBLIC_URL=\"/\"</script><script defer src=\"/app.bundle.abc.js\"></script>"
      "<link href=\"/app.bundle.css\" rel=\"stylesheet\">");
  put(d / "app.bundle.abc.js", "a();__webpack_require__.p = \"/\";b();");
  put(d / "12.bundle.def.js", "chunk();");
  put(d / "app.bundle.css", "@font-face{src:url(/font.woff2)}.x{background:url(//cdn.example/y.png)}");
  put(d / "app-config.js", "window.config = {demo: true};");
  put(d / "manifest.json", "{\"icons\": [{\"src\": \"/assets/icon.png\"}], \"start_url\": \"./index.html\"}");
  put(d / "assets/icon.png", "PNG");
  put(d / "ort/esm/m.mjs", "export {};");
  return d;
}

TEST_CASE("layout_ohif: moves the dist's absolute URLs under the base path") {
  Scratch s;
  fs::path dist = fake_dist(s.path);
  fs::path out = s.path / "www/ohif";
  layout_ohif(dist, out, "/ohif/");

  std::string html = get(out / "index.html");
  CHECK(count(html, "window.PUBLIC_URL=\"/ohif/\"") == 2);
  CHECK(html.find("content=\"/ohif/assets/tile.png\"") != std::string::npos);
  CHECK(html.find("href=\"/ohif/manifest.json\"") != std::string::npos);
  CHECK(html.find("src=\"/ohif/app-config.js\"") != std::string::npos);
  CHECK(html.find("src=\"/ohif/app.bundle.abc.js\"") != std::string::npos);
  CHECK(html.find("href=\"/ohif/app.bundle.css\"") != std::string::npos);
  CHECK(html.find("src=\"//cdn.example/x.js\"") != std::string::npos);  // not ours to move
  CHECK(get(out / "app.bundle.abc.js") == "a();__webpack_require__.p = \"/ohif/\";b();");
  CHECK(get(out / "app.bundle.css") == "@font-face{src:url(/ohif/font.woff2)}.x{background:url(//cdn.example/y.png)}");
  CHECK(get(out / "manifest.json").find("\"src\": \"/ohif/assets/icon.png\"") != std::string::npos);
  CHECK_FALSE(fs::exists(out / "app-config.js"));

  // Untouched files are the dist's own inodes, not copies.
  for (const char* same : {"12.bundle.def.js", "assets/icon.png", "ort/esm/m.mjs"}) {
    CAPTURE(same);
    CHECK(fs::equivalent(out / same, dist / same));
  }
  CHECK_FALSE(fs::equivalent(out / "index.html", dist / "index.html"));
  CHECK(get(dist / "index.html").find("window.PUBLIC_URL=\"/\"") != std::string::npos);  // pristine untouched
}

// The served copy's scripts have their whitespace taken out on the build host
// (image/scripts/fetch-ohif.sh); webpack's public path is then `p="/"`.
TEST_CASE("layout_ohif: moves the public path of minified bundles too") {
  Scratch s;
  fs::path dist = fake_dist(s.path);
  put(dist / "app.bundle.abc.js", "(()=>{__webpack_require__.p=\"/\"})();(()=>{x.p=\"/\"})();");
  put(dist / "12.bundle.def.js", "var u=\"/\";__webpack_require__.p=\"/assets/\";");
  fs::path out = s.path / "www/ohif";
  layout_ohif(dist, out, "/ohif/");
  CHECK(get(out / "app.bundle.abc.js") == "(()=>{__webpack_require__.p=\"/ohif/\"})();(()=>{x.p=\"/\"})();");
  CHECK(fs::equivalent(out / "12.bundle.def.js", dist / "12.bundle.def.js"));  // not "/": left alone
}

TEST_CASE("layout_ohif: a .gz beside each large text asset, never a stale one") {
  Scratch s;
  fs::path dist = fake_dist(s.path);
  const std::string big_js = "a();__webpack_require__.p = \"/\";" + std::string(4000, 'b');
  put(dist / "app.bundle.abc.js", big_js);
  put(dist / "12.bundle.def.js", std::string(3000, 'c'));
  // Shipped .gz files: one of an unchanged file (used as is), one of a file
  // the layout rewrites (stale: must not be served), one of app-config.js.
  put(dist / "12.bundle.def.js.gz", gzip_bytes(std::string(3000, 'c')));
  put(dist / "app.bundle.abc.js.gz", gzip_bytes(big_js));
  put(dist / "app-config.js.gz", "stale");
  put(dist / "assets/big.png", std::string(5000, 'p'));
  fs::path out = s.path / "www/ohif";
  layout_ohif(dist, out, "/ohif/");

  CHECK(fs::equivalent(out / "12.bundle.def.js.gz", dist / "12.bundle.def.js.gz"));
  REQUIRE(fs::exists(out / "app.bundle.abc.js.gz"));
  CHECK_FALSE(fs::equivalent(out / "app.bundle.abc.js.gz", dist / "app.bundle.abc.js.gz"));
  CHECK(get(out / "app.bundle.abc.js.gz") == gzip_bytes(get(out / "app.bundle.abc.js")));
  CHECK_FALSE(fs::exists(out / "app-config.js.gz"));
  CHECK_FALSE(fs::exists(out / "assets/big.png.gz"));  // images are compressed already
  CHECK_FALSE(fs::exists(out / "manifest.json.gz"));   // under 1 KiB: not worth it
}

TEST_CASE("layout_ohif: idempotent, swapped in whole, no leftovers") {
  Scratch s;
  fs::path dist = fake_dist(s.path);
  fs::path out = s.path / "www/ohif";
  layout_ohif(dist, out, "/ohif/");
  std::string first = get(out / "index.html");
  put(out / "stale.txt", "from an older dist");
  layout_ohif(dist, out, "/ohif/");
  CHECK(get(out / "index.html") == first);
  CHECK_FALSE(fs::exists(out / "stale.txt"));

  layout_ohif(dist, out, "/viewer/");  // a new base path replaces the old layout
  CHECK(count(get(out / "index.html"), "window.PUBLIC_URL=\"/viewer/\"") == 2);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(s.path / "www")) names.insert(e.path().filename().string());
  CHECK(names == std::set<std::string>{"ohif"});

  layout_ohif(dist, s.path / "root-layout/", "/");  // OHIF at the site root: nothing moves
  CHECK(get(s.path / "root-layout/app.bundle.abc.js") == get(dist / "app.bundle.abc.js"));
}

TEST_CASE("layout_ohif: clear errors") {
  Scratch s;
  fs::path dist = fake_dist(s.path);
  fs::path out = s.path / "out";
  for (const char* bad : {"ohif/", "/ohif", "", "/oh if/", "/a//b/", "/a/../b/", "/ohif/\"/", "/x$y/"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(layout_ohif(dist, out, bad), std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(layout_ohif(s.path / "missing", out, "/ohif/"),
                       doctest::Contains("index.html missing"), std::runtime_error);
  CHECK_THROWS_AS(layout_ohif(dist, dist / "served", "/ohif/"), std::invalid_argument);

  put(dist / "app.bundle.abc.js", "already built for another path");
  CHECK_THROWS_WITH_AS(layout_ohif(dist, out, "/ohif/"), doctest::Contains("__webpack_require__.p"),
                       std::runtime_error);
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(s.path / ".out.new"));
}

TEST_CASE("layout_ohif: the real OHIF 3.13.2 dist (when its npm tarball is at hand)") {
  const fs::path tarball = "/tmp/ohif/ohif-app-3.13.2.tgz";
  if (!fs::exists(tarball)) {
    MESSAGE("no " << tarball << ": skipped");
    return;
  }
  Scratch s;
  std::string cmd = "tar -xzf '" + tarball.string() + "' -C '" + s.path.string() + "' package/dist";
  REQUIRE(std::system(cmd.c_str()) == 0);
  fs::path dist = s.path / "package/dist";
  fs::path out = s.path / "served";
  layout_ohif(dist, out, "/ohif/");

  size_t moved = 0, left = 0;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (!e.is_regular_file() || e.path().extension() != ".js") continue;
    std::string js = get(e.path());
    moved += count(js, "__webpack_require__.p = \"/ohif/\";");
    left += count(js, "__webpack_require__.p = \"/\";");
  }
  CHECK(moved == 8);
  CHECK(left == 0);
  std::string html = get(out / "index.html");
  CHECK(count(html, "window.PUBLIC_URL=\"/ohif/\"") == 2);
  CHECK(count(html, "href=\"/assets") + count(html, "src=\"/app") + count(html, "content=\"/assets") == 0);
  CHECK(get(out / "app.bundle.css").find("url(/ohif/") != std::string::npos);
  CHECK_FALSE(fs::exists(out / "app-config.js"));
}

}  // namespace
}  // namespace radflare
