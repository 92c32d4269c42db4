#include "ohif/gzip.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

using namespace radflare;

namespace {
std::string gunzip(const std::string& gz) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}
}  // namespace

TEST_CASE("gzip: round-trips, is a gzip file, smaller for text, and the same bytes every time") {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "__webpack_require__.p = \"/ohif/\"; // chunk " + std::to_string(i % 7) + "\n";
  const std::string gz = gzip_bytes(text);
  REQUIRE(gz.size() > 10);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gz.size() < text.size() / 10);
  CHECK(gunzip(gz) == text);
  CHECK(gzip_bytes(text) == gz);
  CHECK(gunzip(gzip_bytes("")).empty());
}

TEST_CASE("gzip: only assets nginx would compress") {
  CHECK(worth_gzipping(".js"));
  CHECK(worth_gzipping(".wasm"));
  CHECK_FALSE(worth_gzipping(".png"));
  CHECK_FALSE(worth_gzipping(".gz"));
  CHECK_FALSE(worth_gzipping(""));
}
