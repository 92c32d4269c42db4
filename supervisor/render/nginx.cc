// render_nginx: the public door (site file) and its two secret includes.
//
// Edge authentication costs a hash lookup, not a password hash: the users
// file maps each exact "Authorization: Basic ..." header to a user name, so
// nginx compares strings instead of running bcrypt on every request (≈3 ms).
// Passwords live only in root-only files nginx's master reads at (re)load.
#include <openssl/evp.h>

#include <array>
#include <set>
#include <stdexcept>

#include "render/nginx_conf.h"
#include "render/nginx_quote.h"
#include "render/paths.h"
#include "render/render.h"

namespace radflare {
namespace nginx {

ConfWriter& ConfWriter::line(std::string_view text) {
  out_.append(4 * depth_, ' ');
  out_ += text;
  out_ += '\n';
  return *this;
}

ConfWriter& ConfWriter::open(std::string_view head) {
  line(std::string(head) + " {");
  ++depth_;
  return *this;
}

ConfWriter& ConfWriter::close() {
  --depth_;
  return line("}");
}

ConfWriter& ConfWriter::blank() {
  out_ += '\n';
  return *this;
}

namespace {

std::string body_size(int64_t bytes) {
  if (bytes < 0) throw UnsafeValue("web.max_upload is negative");
  if (bytes == 0) return "0";  // nginx: no limit
  if (bytes % (int64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "g";
  if (bytes % (int64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "m";
  if (bytes % (int64_t{1} << 10) == 0) return std::to_string(bytes >> 10) + "k";
  return std::to_string(bytes);
}

std::string indexed(std::string_view field, size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// The header does not name the TOML's path: the same settings must render the
// same bytes wherever they were read from, or every file would "change".
std::string header_comment(std::string_view what) {
  return "# " + std::string(what) + "\n# Rendered by radflare from radflare.toml; edits here are overwritten.\n";
}

// People (and apps) allowed through nginx, and what they must send.
std::string render_users(const Config& config) {
  struct Account {
    std::string field, name;
    const Secret* password;
  };
  std::vector<Account> accounts{{"admin.user", config.admin.user, &config.admin.password}};
  for (size_t i = 0; i < config.web.users.size(); ++i)
    accounts.push_back({indexed("web.users", i) + ".name", config.web.users[i].name, &config.web.users[i].password});

  ConfWriter w;
  w.line("# Keys are case-sensitive regexes of the exact header: nginx matches plain map");
  w.line("# strings ignoring case, which would let \"basic ywrt...\" pass for \"Basic YWRt...\".");
  w.open("map $http_authorization $radflare_user");
  w.line("default \"\";");
  std::set<std::string> seen;
  for (const auto& a : accounts) {
    std::string name = checked(ValueKind::UserName, a.field, a.name);
    if (name.find(':') != std::string::npos) throw UnsafeValue(a.field + ": a user name cannot hold ':'");
    if (!seen.insert(name).second) throw UnsafeValue(a.field + " = \"" + name + "\" is listed twice");
    if (a.password->empty()) throw UnsafeValue(a.field + " = \"" + name + "\" has an empty password");
    w.line("\"~^" + regex_literal(basic_authorization(name, a.password->reveal())) + "$\" \"" + name + "\";");
  }
  w.close();
  return header_comment("Who may pass nginx's edge authentication (included by radflare.conf).") +
         w.text();
}

// The credential nginx presents to Orthanc in place of the person's.
std::string render_upstream_auth(const Config& config) {
  if (config.internal.proxy_password.empty()) throw UnsafeValue("internal.proxy_password is empty");
  return header_comment("nginx's own credential for Orthanc (included in every proxied location).") +
         "proxy_set_header Authorization \"" +
         basic_authorization(kProxyUser, config.internal.proxy_password.reveal()) + "\";\n";
}

}  // namespace

SiteValues site_values(const Config& config) {
  SiteValues v;
  const auto& web = config.web;
  for (size_t i = 0; i < config.site.hostnames.size(); ++i)
    v.server_names += (i ? " " : "") + checked(ValueKind::HostName, indexed("site.hostnames", i),
                                                config.site.hostnames[i]);
  if (v.server_names.empty()) v.server_names = "_";

  v.ohif_path = checked(ValueKind::UrlPath, "web.ohif_path", web.ohif_path);
  v.dicomweb_root = checked(ValueKind::UrlPath, "orthanc.dicomweb_root", config.orthanc.dicomweb_root);
  v.wado_root = checked(ValueKind::UrlPath, "orthanc.wado_root", config.orthanc.wado_root);
  if (!v.ohif_path.ends_with('/')) throw UnsafeValue("web.ohif_path must end with '/'");
  if (!v.dicomweb_root.ends_with('/')) throw UnsafeValue("orthanc.dicomweb_root must end with '/'");
  // Two identical locations would make nginx refuse the whole file.
  if (v.ohif_path == v.dicomweb_root || v.ohif_path == v.wado_root + "/")
    throw std::invalid_argument("web.ohif_path = \"" + v.ohif_path + "\" collides with orthanc.dicomweb_root or wado_root");

  v.frame_ancestors = "'self'";
  for (size_t i = 0; i < web.frame_ancestors.size(); ++i) {
    std::string source = checked(ValueKind::CspSource, indexed("web.frame_ancestors", i), web.frame_ancestors[i]);
    if (source != "'self'") v.frame_ancestors += " " + source;
  }
  for (size_t i = 0; i < web.cors_origins.size(); ++i)
    v.cors_origins.push_back(checked(ValueKind::Origin, indexed("web.cors_origins", i), web.cors_origins[i]));
  v.max_body_size = body_size(web.max_upload_bytes);

  v.orthanc_http_port = config.orthanc.http_port;
  v.http_port = web.http_port;
  v.https_port = web.https_port;
  v.orthanc_door_port = web.orthanc_port;

  const auto& tls = config.tls;
  v.tls = tls.mode != TlsMode::Off;
  v.acme = tls.mode == TlsMode::Acme;
  v.hsts = v.tls && tls.hsts;
  if (v.acme) {
    if (tls.domains.empty()) throw UnsafeValue("tls.domains is empty, but tls.mode = \"acme\" needs a name");
    checked(ValueKind::HostName, "tls.domains[0]", tls.domains[0]);
    // Always the supervisor's pair (a placeholder until the first issuance,
    // acme/renewal.h): the site file is the same before and after, and nginx
    // never points at a file that does not exist yet.
    v.cert_file = quoted(ValueKind::FilePath, "tls", paths::kTlsFullchain);
    v.key_file = quoted(ValueKind::FilePath, "tls", paths::kTlsPrivkey);
  } else if (v.tls) {
    v.cert_file = quoted(ValueKind::FilePath, "tls.cert_file", tls.cert_file);
    v.key_file = quoted(ValueKind::FilePath, "tls.key_file", tls.key_file);
  }
  return v;
}

void write_http_level(ConfWriter& w, const SiteValues& v) {
  w.line("# $radflare_user: who sent this Authorization header (\"\" = nobody we know).");
  w.line(std::string("include ") + paths::kNginxUsers + ";");
  w.blank();
  w.open("upstream " + std::string(kUpstream));
  w.line("server 127.0.0.1:" + std::to_string(v.orthanc_http_port) + ";");
  w.line("keepalive 32;");
  w.line("# Orthanc 1.10 closes idle connections after 1 s. nginx must drop them first:");
  w.line("# a POST sent on a connection Orthanc is closing fails with 502 (measured).");
  w.line("keepalive_timeout 500ms;");
  w.close();
  w.blank();

  w.line("# Only 401 responses ask the browser for a password.");
  w.open("map $status $radflare_www_authenticate");
  w.line("401 'Basic realm=\"Radflare\", charset=\"UTF-8\"';");
  w.line("default \"\";");
  w.close();
  w.blank();

  w.line("# OHIF bundles named by content hash never change; everything else revalidates.");
  w.open("map $uri $radflare_ohif_cache_control");
  w.line("\"~[./][0-9a-f]{16}[.](?:js|css|wasm|woff2)$\" \"public, max-age=31536000, immutable\";");
  w.line("default \"no-cache\";");
  w.close();
  w.blank();

  w.line("# OHIF sends includefield=a%2Cb%2Cc; DICOMweb 1.7 ignores a comma-separated value");
  w.line("# and wants includefield=a&includefield=b&includefield=c. Each map splits one comma.");
  for (int i = 1; i <= kIncludefieldSteps; ++i) {
    std::string source = i == 1 ? "$args" : "$radflare_includefield_" + std::to_string(i - 1);
    w.open("map " + source + " $radflare_includefield_" + std::to_string(i));
    w.line("\"~*^((?:.*&)?includefield=[^&,]*?)(?:,|%2C)(.*)$\" \"$1&includefield=$2\";");
    w.line("default " + source + ";");
    w.close();
  }
  w.blank();

  w.line("# DICOMweb 1.7 cannot cut frames out of an Explicit VR Big Endian or a Deflated");
  w.line("# instance in their own syntax: frames asked with transfer-syntax=* (as OHIF asks)");
  w.line("# answer 500. They are asked again in Explicit VR Little Endian, which \"*\" admits;");
  w.line("# a request for one given syntax is asked again as it was.");
  w.open("map $http_accept " + std::string(kFramesRetryAccept));
  w.line("'~*transfer-syntax=\"?\\*' '" + std::string(kExplicitLittleEndianFrames) + "';");
  w.line("default $http_accept;");
  w.close();

  if (v.cors_origins.empty()) return;
  w.blank();
  w.line("# CORS: only these origins; preflights are answered here, before authentication");
  w.line("# (Orthanc 1.10 has no CORS of its own).");
  w.open("map $http_origin $radflare_cors_origin");
  w.line("default \"\";");
  for (const auto& o : v.cors_origins) w.line("\"" + o + "\" \"" + o + "\";");
  w.close();
  w.open("map \"$request_method:$radflare_cors_origin\" $radflare_cors_preflight");
  w.line("\"~^OPTIONS:.\" 1;");
  w.line("default \"\";");
  w.close();
  auto on_preflight = [&](std::string_view var, std::string_view value) {
    w.open("map $radflare_cors_preflight " + std::string(var));
    w.line("1 \"" + std::string(value) + "\";");
    w.line("default \"\";");
    w.close();
  };
  on_preflight("$radflare_cors_methods", "GET, POST, PUT, DELETE, OPTIONS");
  on_preflight("$radflare_cors_headers", "Origin, Accept, Authorization, Content-Type, X-Requested-With");
  on_preflight("$radflare_cors_max_age", "3600");
  w.open("map $radflare_cors_origin $radflare_cors_expose");
  w.line("\"\" \"\";");
  w.line("default \"Location, Content-Location\";");
  w.close();
}

}  // namespace nginx

namespace {

struct NginxRendering {
  std::vector<PlannedFile> files;
  std::string generation;
};

NginxRendering render_nginx_files(const Config& config) {
  nginx::SiteValues values = nginx::site_values(config);
  nginx::ConfWriter w;
  nginx::write_http_level(w, values);
  w.blank();
  nginx::write_servers(w, values);

  NginxRendering out;
  std::vector<PlannedFile>& files = out.files;
  files.push_back({paths::kNginxSite,
                   nginx::header_comment("The appliance's public door: OHIF, DICOMweb and Orthanc.") + "\n" +
                       w.text(),
                   0644, "root", "root", false});
  files.push_back({paths::kNginxUsers, nginx::render_users(config), 0600, "root", "root", true});
  files.push_back({paths::kNginxUpstreamAuth, nginx::render_upstream_auth(config), 0600, "root", "root", true});

  // The generation: a digest of all three files as rendered with the
  // placeholder, which it then replaces (a file cannot hold its own digest).
  // Any change to any of them, a rotated credential too, changes it.
  std::string all;
  for (const auto& f : files) all += f.path + '\0' + f.bytes + '\0';
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  if (EVP_Digest(all.data(), all.size(), md.data(), &md_len, EVP_sha256(), nullptr) != 1 || md_len < 8)
    throw std::runtime_error("nginx: cannot compute the generation digest");
  static const char* const kHex = "0123456789abcdef";
  for (unsigned int i = 0; i < 8; ++i) out.generation += {kHex[md[i] >> 4], kHex[md[i] & 15]};
  std::string& site = files.front().bytes;
  for (size_t at = site.find(nginx::kGenerationPlaceholder); at != std::string::npos;
       at = site.find(nginx::kGenerationPlaceholder, at))
    site.replace(at, nginx::kGenerationPlaceholder.size(), out.generation);
  return out;
}

}  // namespace

std::vector<PlannedFile> render_nginx(const Config& config) { return render_nginx_files(config).files; }

std::string nginx_generation(const Config& config) { return render_nginx_files(config).generation; }

}  // namespace radflare
