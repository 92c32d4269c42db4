// A Plan is everything a reload would write: the rendered files with their
// modes and owners. What each file's change means for the running units is
// decided by the table in plan/unit_actions.h, not by the renderers.
#pragma once

#include <string>
#include <vector>

namespace radflare {

struct PlannedFile {
  std::string path;   // absolute path on the appliance, e.g. /etc/nginx/conf.d/radflare.conf
  std::string bytes;  // full content
  unsigned mode = 0644;
  std::string owner = "root";
  std::string group = "root";
  bool secret = false;  // content is never printed (diff shows only that it changed)
};

struct Plan {
  std::vector<PlannedFile> files;

  const PlannedFile* find(const std::string& path) const {
    for (const auto& f : files)
      if (f.path == path) return &f;
    return nullptr;
  }
};

}  // namespace radflare
