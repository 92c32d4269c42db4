#include "ohif/layout.h"

#include "ohif/gzip.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28)
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace radflare {
namespace {

namespace fs = std::filesystem;

// The webpack runtime's public path, as OHIF's build prints it and as the
// served copy prints it (image/scripts/fetch-ohif.sh takes the whitespace out).
// The closing quote makes each unambiguous: "/" cannot begin a longer path.
constexpr std::string_view kWebpackPublicPath = "__webpack_require__.p = \"/\"";
constexpr std::string_view kWebpackPublicPathMinified = "__webpack_require__.p=\"/\"";

void check_base_path(const std::string& base) {
  auto bad = [&](std::string_view why) {
    throw std::invalid_argument("OHIF base path \"" + base + "\" " + std::string(why));
  };
  if (base.empty() || base.front() != '/' || base.back() != '/') bad("must start and end with '/' (like \"/ohif/\")");
  for (char c : base) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
              c == '_' || c == '.' || c == '~';
    if (!ok) bad("may only hold letters, digits and / - _ . ~");
  }
  if (base.find("//") != std::string::npos || base.find("/./") != std::string::npos ||
      base.find("/../") != std::string::npos)
    bad("may not hold empty, '.' or '..' segments");
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& bytes, fs::perms perms) {
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + p.string());
  }
  fs::permissions(p, perms);
}

// Replaces each `from` by `to`. A `from` ending in '/' that is followed by
// another '/' is a protocol-relative URL ("//cdn.example/x"), not ours: kept.
size_t replace_all(std::string& text, std::string_view from, std::string_view to) {
  size_t count = 0;
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    size_t end = pos + from.size();
    if (from.back() == '/' && end < text.size() && text[end] == '/') {
      pos = end;
      continue;
    }
    text.replace(pos, from.size(), to);
    pos += to.size();
    ++count;
  }
  return count;
}

std::string rewrite_index_html(std::string html, const std::string& base) {
  if (replace_all(html, "window.PUBLIC_URL=\"/\"", "window.PUBLIC_URL=\"" + base + "\"") == 0)
    throw std::runtime_error("index.html does not set window.PUBLIC_URL=\"/\": not an OHIF dist built for \"/\"");
  replace_all(html, "href=\"/", "href=\"" + base);
  replace_all(html, "src=\"/", "src=\"" + base);
  replace_all(html, "content=\"/assets/", "content=\"" + base + "assets/");
  return html;
}

std::string rewrite_css(std::string css, const std::string& base) {
  replace_all(css, "url(/", "url(" + base);
  replace_all(css, "url(\"/", "url(\"" + base);
  replace_all(css, "url('/", "url('" + base);
  return css;
}

// Removes a directory tree when it goes out of scope, unless released.
class TreeGuard {
 public:
  explicit TreeGuard(fs::path p) : path_(std::move(p)) {}
  ~TreeGuard() {
    std::error_code ec;  // best effort: the original error matters more
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

// Puts `fresh` at `target` in one step when the kernel can (RENAME_EXCHANGE),
// so nginx sees either the old or the new tree; leaves the old one at `fresh`.
void swap_into_place(const fs::path& fresh, const fs::path& target, const fs::path& old) {
  if (!fs::exists(fs::symlink_status(target))) {
    fs::rename(fresh, target);
    return;
  }
  if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) return;
  if (errno != EINVAL && errno != ENOSYS)
    throw std::system_error(errno, std::generic_category(), "cannot swap " + fresh.string() + " into " + target.string());
  // Filesystems without RENAME_EXCHANGE: two renames, a brief moment without a tree.
  fs::remove_all(old);
  fs::rename(target, old);
  fs::rename(fresh, target);
  fs::rename(old, fresh);
}

void link_or_copy(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (ec) fs::copy_file(from, to);  // another filesystem (EXDEV) or no link permission
}

// X.gz beside each compressible X of 1 KiB or more (nginx's gzip_static
// serves it): the shipped one when X is the shipped file unchanged (a hard
// link, so nothing is compressed again), else X compressed now.
void add_gzip_sibling(const fs::path& from, const fs::path& to) {
  if (!worth_gzipping(to.extension().string()) || fs::file_size(to) < 1024) return;
  fs::path shipped = from;
  shipped += ".gz";
  fs::path out = to;
  out += ".gz";
  if (fs::equivalent(from, to) && fs::is_regular_file(shipped)) {
    link_or_copy(shipped, out);
    return;
  }
  write_file(out, gzip_bytes(read_file(to)), fs::status(to).permissions());
}

}  // namespace

void layout_ohif(const fs::path& pristine_dist, const fs::path& out_dir, const std::string& base_path) {
  check_base_path(base_path);
  const fs::path dist = fs::weakly_canonical(pristine_dist);
  if (!fs::is_regular_file(dist / "index.html"))
    throw std::runtime_error("no OHIF dist at " + pristine_dist.string() + " (index.html missing)");
  fs::path out = fs::weakly_canonical(out_dir);
  if (!out.has_filename()) out = out.parent_path();
  auto [d, o] = std::mismatch(dist.begin(), dist.end(), out.begin(), out.end());
  if (d == dist.end()) throw std::invalid_argument("the OHIF layout " + out.string() + " cannot be inside the dist");

  fs::create_directories(out.parent_path());
  const fs::path fresh = out.parent_path() / ("." + out.filename().string() + ".new");
  const fs::path old = out.parent_path() / ("." + out.filename().string() + ".old");
  fs::remove_all(fresh);  // left over by an interrupted run
  TreeGuard guard(fresh);
  fs::create_directory(fresh);

  size_t public_paths = 0;
  for (auto it = fs::recursive_directory_iterator(dist); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = it->path().lexically_relative(dist);
    const fs::path to = fresh / rel;
    const std::string ext = rel.extension().string();
    // A shipped X.gz is only used beside an unchanged X (add_gzip_sibling):
    // a stale one would serve the old file to every gzip-capable browser.
    if (ext == ".gz" && it->is_regular_file() && worth_gzipping(rel.stem().extension().string())) continue;
    if (it->is_symlink()) {
      fs::copy_symlink(it->path(), to);
    } else if (it->is_directory()) {
      fs::create_directory(to);
    } else if (rel == "app-config.js") {
      continue;  // nginx serves the rendered configuration instead
    } else if (rel == "index.html") {
      write_file(to, rewrite_index_html(read_file(it->path()), base_path), it->status().permissions());
    } else if (rel == "manifest.json") {
      std::string json = read_file(it->path());
      replace_all(json, "\"/assets/", "\"" + base_path + "assets/");
      write_file(to, json, it->status().permissions());
    } else if (ext == ".css") {
      std::string css = read_file(it->path());
      std::string moved = rewrite_css(css, base_path);
      if (moved == css) link_or_copy(it->path(), to);
      else write_file(to, moved, it->status().permissions());
    } else if (ext == ".js" || ext == ".mjs") {
      std::string js = read_file(it->path());
      size_t n = replace_all(js, kWebpackPublicPath, "__webpack_require__.p = \"" + base_path + "\"") +
                 replace_all(js, kWebpackPublicPathMinified, "__webpack_require__.p=\"" + base_path + "\"");
      public_paths += n;
      if (n == 0) link_or_copy(it->path(), to);
      else write_file(to, js, it->status().permissions());
    } else {
      link_or_copy(it->path(), to);
    }
    if (it->is_regular_file() && !it->is_symlink() && fs::exists(to)) add_gzip_sibling(it->path(), to);
  }
  if (public_paths == 0)
    throw std::runtime_error("no JS bundle in " + dist.string() + " sets " + std::string(kWebpackPublicPath) + ";" +
                             ": not an OHIF dist built for \"/\"");

  fs::permissions(fresh, fs::status(dist).permissions());
  swap_into_place(fresh, out, old);
  // `fresh` now holds the previous layout (if any): the guard removes it.
}

}  // namespace radflare
