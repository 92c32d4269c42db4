#include "status/time_text.h"

#include <doctest/doctest.h>

using namespace radflare;

TEST_CASE("status time text: ISO UTC both ways, Orthanc's compact form, garbage refused") {
  CHECK(iso_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(iso_utc(1748772733) == "2025-06-01T10:12:13Z");
  CHECK(parse_iso_utc("2025-06-01T10:12:13Z") == 1748772733);
  CHECK(parse_iso_utc("2025-06-01T10:12:13.456Z") == 1748772733);
  CHECK(parse_iso_utc("2025-06-01T10:12:13+00:00") == 1748772733);
  CHECK(parse_iso_utc("20250601T101213") == 1748772733);
  CHECK_FALSE(parse_iso_utc("2025-06-01T10:12:13+02:00"));
  CHECK_FALSE(parse_iso_utc("2025-06-01"));
  CHECK_FALSE(parse_iso_utc(""));
  CHECK_FALSE(parse_iso_utc("2025-13-01T10:12:13Z"));
  CHECK_FALSE(parse_iso_utc("2025-06-01T10:12:13Zjunk"));
}
