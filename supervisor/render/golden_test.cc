// Golden files: every renderer on the configs under tests/configs/, compared
// byte for byte with tests/golden/<config>/<appliance path>.
// After an intended change: UPDATE_GOLDEN=1 ./radflare_tests -tc='golden*'
// and review the diff of tests/golden/ like any other change.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "config/fakes.h"
#include "plan/write.h"
#include "render/render.h"

using namespace radflare;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = RADFLARE_SOURCE_DIR;

void check_golden(const std::string& name) {
  std::string toml;
  REQUIRE(read_file((kSource / "tests/configs" / (name + ".toml")).string(), toml));
  auto loaded = radflare::testing::load_for_test(toml);
  for (const auto& d : loaded.diagnostics) MESSAGE(d.format());
  REQUIRE(loaded.config);
  const Plan plan = render_plan(*loaded.config);
  const fs::path dir = kSource / "tests/golden" / name;
  const bool update = std::getenv("UPDATE_GOLDEN") != nullptr;
  if (update) fs::remove_all(dir);

  std::set<std::string> expected_files;
  for (const auto& f : plan.files) {
    const fs::path golden = dir / f.path.substr(1);
    expected_files.insert(golden.string());
    if (update) {
      write_file_atomically(golden.string(), f.bytes, 0644);
      continue;
    }
    std::string want;
    INFO("golden file ", golden.string());
    REQUIRE_MESSAGE(read_file(golden.string(), want), "missing golden file (run with UPDATE_GOLDEN=1)");
    CHECK(f.bytes == want);
  }
  // A golden file no renderer produces any more is a stale expectation.
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) CHECK_MESSAGE(expected_files.count(e.path().string()), "stale golden file ", e.path());
}

}  // namespace

TEST_CASE("golden: minimal configuration") { check_golden("minimal"); }
TEST_CASE("golden: the seed's deployment") { check_golden("seed"); }
TEST_CASE("golden: external RDS, manual TLS, webhook") { check_golden("rds"); }
