#include "ohif/gzip.h"

#include <zlib.h>

#include <array>
#include <stdexcept>

namespace radflare {

std::string gzip_bytes(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int r = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (r != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  return out;
}

bool worth_gzipping(std::string_view extension) {
  static constexpr std::array<std::string_view, 9> kTypes = {".js",  ".mjs", ".css", ".html", ".json",
                                                            ".wasm", ".svg", ".txt", ".map"};
  for (auto t : kTypes)
    if (extension == t) return true;
  return false;
}

}  // namespace radflare
