#include "plan/diff.h"

#include <doctest/doctest.h>

using namespace radflare;

TEST_CASE("unified_diff prints a changed line as removal then addition, with context") {
  std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n", b = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
  CHECK(unified_diff(a, b, "old", "new") ==
        "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
}

TEST_CASE("unified_diff splits distant changes into hunks and handles new files") {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) {
    a += std::to_string(i) + "\n";
    b += (i == 2 || i == 18 ? "x" : std::to_string(i)) + "\n";
  }
  std::string d = unified_diff(a, b, "a", "b");
  CHECK(d.find("@@ -1,5 +1,5 @@") != std::string::npos);
  CHECK(d.find("@@ -15,6 +15,6 @@") != std::string::npos);
  CHECK(unified_diff("", "one\n", "/dev/null", "f") == "--- /dev/null\n+++ f\n@@ -0,0 +1,1 @@\n+one\n");
  CHECK(unified_diff("same\n", "same\n", "a", "b") == "--- a\n+++ b\n");
}
