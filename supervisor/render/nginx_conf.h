// Internals of the nginx renderer (render/nginx*.cc), shared by its files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace radflare::nginx {

// Writes nginx configuration text with consistent indentation.
class ConfWriter {
 public:
  ConfWriter& line(std::string_view text);  // a directive or a comment
  ConfWriter& open(std::string_view head);  // "head {", then one level deeper
  ConfWriter& close();                      // "}"
  ConfWriter& blank();
  const std::string& text() const { return out_; }

 private:
  std::string out_;
  int depth_ = 0;
};

// After a reload nginx's old workers answer new connections for a moment
// (20-250 ms here): the supervisor's probe asks this path, on loopback, until
// it answers the digest of the files it just wrote (render.h: nginx_generation).
inline constexpr std::string_view kGenerationPath = "/.radflare/nginx-generation";
inline constexpr std::string_view kGenerationPlaceholder = "@RADFLARE_NGINX_GENERATION@";

// Every configured value the site file uses, already checked (nginx_quote.h)
// so the writers below cannot forget a check.
struct SiteValues {
  std::string server_names;  // "a.example b.example" or "_"
  std::string ohif_path;     // "/ohif/"
  std::string dicomweb_root;  // "/dicom-web/"
  std::string wado_root;      // "/wado"
  std::string frame_ancestors;  // "'self' https://app.example"
  std::string max_body_size;    // client_max_body_size argument: "4g", "0"
  std::vector<std::string> cors_origins;
  int orthanc_http_port = 0;
  int http_port = 0;
  int https_port = 0;
  int orthanc_door_port = 0;  // 0 = no seed-compatible server
  bool tls = false;
  bool acme = false;
  bool hsts = false;
  std::string cert_file;  // quoted
  std::string key_file;   // quoted
  // What kGenerationPath answers; render_nginx() puts the digest of the
  // rendered files in place of this placeholder.
  std::string generation = std::string(kGenerationPlaceholder);
};

SiteValues site_values(const Config& config);

// The http-context part of the site file: upstream and maps.
void write_http_level(ConfWriter& w, const SiteValues& v);
// The server blocks.
void write_servers(ConfWriter& w, const SiteValues& v);

// Names shared by the http-level maps and the locations that use them.
inline constexpr std::string_view kUpstream = "radflare_orthanc";
inline constexpr int kIncludefieldSteps = 16;  // commas split per request (OHIF sends up to 4 fields)
// A frames request that Orthanc failed (500) is asked again from this named
// location, with this Accept header (see the map in write_http_level).
inline constexpr std::string_view kFramesRetryLocation = "@radflare_frames_retry";
inline constexpr std::string_view kFramesRetryAccept = "$radflare_frames_retry_accept";
inline constexpr std::string_view kExplicitLittleEndianFrames =
    "multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.1";

}  // namespace radflare::nginx
