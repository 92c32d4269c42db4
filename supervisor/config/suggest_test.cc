#include "config/suggest.h"

#include <doctest/doctest.h>

using namespace radflare;

TEST_CASE("edit_distance counts a swap of neighbours as one edit") {
  CHECK(edit_distance("dicom_port", "dicom_port") == 0);
  CHECK(edit_distance("dicom_prot", "dicom_port") == 1);
  CHECK(edit_distance("dicomport", "dicom_port") == 1);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("closest_match suggests likely typos and nothing for unrelated words") {
  std::vector<std::string> keys = {"aet", "dicom_port", "http_port", "stable_age"};
  CHECK(closest_match("dicom_prot", keys) == "dicom_port");
  CHECK(closest_match("StableAge", keys) == "stable_age");  // Orthanc spelling, case-folded
  CHECK(closest_match("stable_ag", keys) == "stable_age");
  CHECK(closest_match("completely_unrelated", keys) == std::nullopt);
}
