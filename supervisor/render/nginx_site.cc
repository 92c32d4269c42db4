// The server blocks of the site file (see nginx.cc for the maps they use).
//
// Two nginx rules shape this file:
// - add_header and proxy_set_header at one level drop ALL inherited ones, so
//   every location writes its complete set (one helper each), and no server
//   level has any;
// - inside a location, "if" is only used with return (or set), the forms
//   nginx documents as safe.
#include "render/nginx_conf.h"
#include "render/paths.h"

namespace radflare::nginx {
namespace {

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

struct Door {
  bool https = false;  // this server speaks TLS
  bool cors = false;   // send CORS headers (configured origins exist)
};

void write_common_headers(ConfWriter& w, const SiteValues& v, const Door& d) {
  w.line("add_header WWW-Authenticate $radflare_www_authenticate always;");
  if (d.https && v.hsts) w.line("add_header Strict-Transport-Security \"max-age=31536000\" always;");
}

void write_api_headers(ConfWriter& w, const SiteValues& v, const Door& d) {
  write_common_headers(w, v, d);
  if (!d.cors) return;
  w.line("add_header Access-Control-Allow-Origin $radflare_cors_origin always;");
  w.line("add_header Access-Control-Expose-Headers $radflare_cors_expose always;");
  w.line("add_header Access-Control-Allow-Methods $radflare_cors_methods always;");
  w.line("add_header Access-Control-Allow-Headers $radflare_cors_headers always;");
  w.line("add_header Access-Control-Max-Age $radflare_cors_max_age always;");
  w.line("add_header Vary Origin always;");
}

void write_ohif_headers(ConfWriter& w, const SiteValues& v, const Door& d, std::string_view cache_control) {
  write_common_headers(w, v, d);
  w.line("add_header Content-Security-Policy " + q("frame-ancestors " + v.frame_ancestors) + " always;");
  w.line("add_header X-Content-Type-Options nosniff always;");
  w.line("add_header Cache-Control " + std::string(cache_control) + ";");
}

void write_auth_check(ConfWriter& w) {
  w.open("if ($radflare_user = \"\")").line("return 401;").close();
}

// Everything a location needs to hand a request to Orthanc. accept: a value for
// the Accept header sent to Orthanc instead of the client's ("" = the client's).
void write_proxy(ConfWriter& w, const SiteValues& v, std::string_view accept = {}) {
  w.line("proxy_pass http://" + std::string(kUpstream) + ";");
  w.line("proxy_http_version 1.1;");
  w.line("# All proxy_set_header of this location, together: nginx's credential replaces");
  w.line("# the person's; Host and Forwarded make Orthanc's BulkDataURIs point back here.");
  w.line(std::string("include ") + paths::kNginxUpstreamAuth + ";");
  if (!accept.empty()) w.line("proxy_set_header Accept " + std::string(accept) + ";");
  w.line("proxy_set_header Connection \"\";");
  w.line("proxy_set_header Host $http_host;");
  w.line("proxy_set_header Forwarded \"proto=$scheme;host=$http_host\";");
  w.line("proxy_hide_header WWW-Authenticate;");
  w.line("# Stream uploads (STOW) to Orthanc instead of spooling them to disk first.");
  w.line("client_max_body_size " + v.max_body_size + ";");
  w.line("proxy_request_buffering off;");
  w.line("# Each read of the body is sent on at once: 256k reads instead of the default 16k");
  w.line("# halve nginx's CPU per uploaded MB (bench/README.md). A smaller body with a");
  w.line("# Content-Length gets a buffer of its own size, not 256k.");
  w.line("client_body_buffer_size 256k;");
  w.line("# Responses (WADO) pass through memory only; a slow client slows Orthanc's send.");
  w.line("proxy_buffering on;");
  w.line("proxy_buffer_size 64k;");
  w.line("proxy_buffers 32 64k;");
  w.line("proxy_busy_buffers_size 256k;");
  w.line("proxy_max_temp_file_size 0;");
  w.line("# Big studies: Orthanc may think for minutes before its first byte.");
  w.line("proxy_connect_timeout 10s;");
  w.line("proxy_send_timeout 600s;");
  w.line("proxy_read_timeout 3600s;");
  w.line("client_body_timeout 120s;");
  w.line("send_timeout 600s;");
}

void write_preflight_and_auth(ConfWriter& w, const Door& d) {
  if (d.cors) w.open("if ($radflare_cors_preflight)").line("return 204;").close();
  write_auth_check(w);
}

void write_api_location(ConfWriter& w, const SiteValues& v, const Door& d, std::string_view match) {
  w.open("location " + std::string(match));
  write_preflight_and_auth(w, d);
  write_proxy(w, v);
  write_api_headers(w, v, d);
  w.close();
}

// DICOMweb, and inside it WADO-RS frames, which get a second chance when Orthanc
// fails them (the retry map in nginx.cc says why). A nested location runs none of
// its parent's if/set/return: it checks the user itself.
void write_dicomweb_locations(ConfWriter& w, const SiteValues& v, const Door& d) {
  w.open("location " + v.dicomweb_root);
  write_preflight_and_auth(w, d);
  w.open("if ($args ~* \"(?:^|&)includefield=[^&]*(?:,|%2C)\")");
  w.line("set $args $radflare_includefield_" + std::to_string(kIncludefieldSteps) + ";");
  w.close();
  write_proxy(w, v);
  write_api_headers(w, v, d);
  w.blank();
  w.line("# WADO-RS frames: when Orthanc fails them, asked again (map $radflare_frames_retry_accept).");
  w.line("# A nested location runs none of the if/set/return above: it checks the user again.");
  w.open("location ~ /frames/[^/]+$");
  write_preflight_and_auth(w, d);
  write_proxy(w, v);
  w.line("proxy_intercept_errors on;");
  w.line("error_page 500 = " + std::string(kFramesRetryLocation) + ";");
  write_api_headers(w, v, d);
  w.close();
  w.close();
  w.blank();
  w.open("location " + std::string(kFramesRetryLocation));
  write_proxy(w, v, kFramesRetryAccept);
  write_api_headers(w, v, d);
  w.close();
}

void write_ohif_locations(ConfWriter& w, const SiteValues& v, const Door& d) {
  const std::string& base = v.ohif_path;
  const std::string served = std::string(paths::kOhifServed) + "/";
  if (base != "/") {
    w.open("location = /").line("return 302 " + base + ";").close();
    w.open("location = " + base.substr(0, base.size() - 1)).line("return 301 " + base + ";").close();
  }
  w.line("# Browsers fetch the manifest without credentials.");
  w.open("location = " + base + "manifest.json");
  w.line("alias " + served + "manifest.json;");
  write_ohif_headers(w, v, d, "no-cache");
  w.close();

  w.open("location = " + base + "index.html");
  write_auth_check(w);
  w.line("alias " + served + "index.html;");
  write_ohif_headers(w, v, d, "no-cache");
  w.close();

  w.line("# The rendered configuration, not the dist's own.");
  w.open("location = " + base + "app-config.js");
  write_auth_check(w);
  w.line(std::string("alias ") + paths::kOhifAppConfig + ";");
  write_ohif_headers(w, v, d, "no-cache");
  w.close();

  w.line("# A single-page app: unknown paths (/viewer?StudyInstanceUIDs=...) get index.html.");
  w.open("location " + base);
  write_auth_check(w);
  w.line("alias " + served + ";");
  w.line("try_files $uri $uri/ " + base + "index.html;");
  write_ohif_headers(w, v, d, "$radflare_ohif_cache_control");
  w.close();
}

// In the server on the HTTP port, for the supervisor's probe only.
void write_generation_location(ConfWriter& w, const SiteValues& v) {
  w.line("# Which rendering this nginx serves (the supervisor's probe after a reload).");
  w.open("location = " + std::string(kGenerationPath));
  w.line("allow 127.0.0.1;");
  w.line("allow ::1;");
  w.line("deny all;");
  w.line("default_type text/plain;");
  w.line("return 200 \"" + v.generation + "\\n\";");
  w.close();
}

void write_server_basics(ConfWriter& w, const SiteValues& v) {
  w.line("server_name " + v.server_names + ";");
  w.line("server_tokens off;");
  w.line("# Relative redirects stay right behind load balancers and port maps.");
  w.line("absolute_redirect off;");
}

// OHIF + DICOMweb + WADO-URI: the server people and apps use.
void write_public_server(ConfWriter& w, const SiteValues& v, const Door& d) {
  w.open("server");
  if (d.https) {
    w.line("listen " + std::to_string(v.https_port) + " ssl http2;");
  } else {
    w.line("listen " + std::to_string(v.http_port) + ";");
  }
  write_server_basics(w, v);
  if (d.https) {
    w.line("ssl_certificate " + v.cert_file + ";");
    w.line("ssl_certificate_key " + v.key_file + ";");
    w.line("# Mozilla's \"intermediate\" profile: TLS 1.2 with AEAD ciphers and forward secrecy, TLS 1.3.");
    w.line("ssl_protocols TLSv1.2 TLSv1.3;");
    w.line("ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
           "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;");
    w.line("ssl_prefer_server_ciphers off;");
    w.line("ssl_session_cache shared:radflare_tls:10m;");
    w.line("ssl_session_timeout 1d;");
    w.line("ssl_session_tickets off;");
  }
  w.line("# nginx 1.22's mime.types lacks .mjs (JavaScript modules). Both types blocks");
  w.line("# at this level merge; together they replace the http level's.");
  w.line("include /etc/nginx/mime.types;");
  w.open("types").line("application/javascript mjs;").close();
  w.line("gzip on;");
  w.line("gzip_static on;");
  w.line("gzip_vary on;");
  w.line("gzip_comp_level 5;");
  w.line("gzip_min_length 1024;");
  // application/dicom+json: QIDO and series metadata shrink ~40x (377 KB ->
  // 9 KB for a 300-slice CT), the first thing OHIF waits for.
  w.line("gzip_types text/css text/plain application/javascript application/json application/wasm image/svg+xml "
         "application/dicom+json;");
  w.blank();
  if (!d.https) {
    write_generation_location(w, v);
    w.blank();
  }
  write_ohif_locations(w, v, d);
  w.blank();
  write_dicomweb_locations(w, v, d);
  write_api_location(w, v, d, "= " + v.wado_root);
  if (v.ohif_path != "/") {  // else OHIF's SPA location owns "/"
    w.blank();
    w.open("location /").line("return 404;").close();
  }
  w.close();
}

// With TLS on, plain HTTP only answers ACME challenges and redirects.
void write_https_redirect_server(ConfWriter& w, const SiteValues& v) {
  w.open("server");
  w.line("listen " + std::to_string(v.http_port) + ";");
  write_server_basics(w, v);
  write_generation_location(w, v);
  if (v.acme) {
    w.open("location /.well-known/acme-challenge/");
    w.line(std::string("root ") + paths::kAcmeWebroot + ";");
    w.line("default_type text/plain;");
    w.close();
  }
  std::string port = v.https_port == 443 ? "" : ":" + std::to_string(v.https_port);
  w.open("location /").line("return 301 https://$host" + port + "$request_uri;").close();
  w.close();
}

// Seed compatibility: http://HOST:8042/ reaches Orthanc (REST, /app/explorer.html,
// /ui/app/, /dicom-web/) as before, now behind nginx's authentication.
void write_orthanc_door_server(ConfWriter& w, const SiteValues& v) {
  Door d{.https = false, .cors = !v.cors_origins.empty()};
  w.open("server");
  w.line("listen " + std::to_string(v.orthanc_door_port) + ";");
  write_server_basics(w, v);
  w.blank();
  write_dicomweb_locations(w, v, d);
  write_api_location(w, v, d, "/");
  w.close();
}

}  // namespace

void write_servers(ConfWriter& w, const SiteValues& v) {
  bool cors = !v.cors_origins.empty();
  if (v.tls) {
    write_https_redirect_server(w, v);
    w.blank();
    write_public_server(w, v, Door{.https = true, .cors = cors});
  } else {
    write_public_server(w, v, Door{.https = false, .cors = cors});
  }
  if (v.orthanc_door_port != 0) {
    w.blank();
    write_orthanc_door_server(w, v);
  }
}

}  // namespace radflare::nginx
