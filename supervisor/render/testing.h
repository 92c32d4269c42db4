// Test helpers shared by the *_test.cc files (linked into radflare_tests only).
#pragma once

#include <string>

#include "config/config.h"
#include "plan/plan.h"

namespace radflare::testing {

// A complete, valid Config as load_config() would produce from a minimal TOML
// on a 2-core, 4 GB host, with fixed fake secrets. Tests tweak fields.
Config example_config();

// The file at `path` among `files`; fails the current test when absent.
const PlannedFile& file_at(const std::vector<PlannedFile>& files, const std::string& path);

}  // namespace radflare::testing
