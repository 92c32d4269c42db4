// What a reload would change: the Plan against the files on disk.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"

namespace radflare {

struct FileChange {
  enum class Kind { Added, Changed, ModeChanged };
  std::string path;
  Kind kind;
  std::string unified;  // unified diff of the content; empty for secret files
};

// Files of `plan` whose content or mode differ from what is under `root`.
std::vector<FileChange> diff_plan(const Plan& plan, const std::string& root);

// Unified diff (3 lines of context) between two texts.
std::string unified_diff(const std::string& old_text, const std::string& new_text, const std::string& old_label,
                         const std::string& new_label);

}  // namespace radflare
