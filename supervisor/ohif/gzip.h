// gzip for nginx's gzip_static: the viewer's assets are compressed once, at
// layout time, instead of by nginx on every first visit (the 17 MB bundle
// cost 0.8 s of nginx CPU per cold load; bench/results/2026-11-30.md).
#pragma once

#include <string>
#include <string_view>

namespace radflare {

// The gzip file (RFC 1952) of `data`, at the best compression, with no name
// or time in the header, so the same input always gives the same bytes.
std::string gzip_bytes(std::string_view data);

// Whether nginx would gzip this asset on the fly (text, JSON, wasm, SVG),
// judged by its extension (".js", ".css", …).
bool worth_gzipping(std::string_view extension);

}  // namespace radflare
