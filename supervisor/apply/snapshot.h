// The live files an apply is about to replace, kept so a failed apply can put
// every one of them back (content, mode, owner — or absence).
//
// The snapshot is also written to a journal folder before the first live file
// changes, so a supervisor killed in the middle of an apply finds it at its
// next start and can still go back to the last known-good set.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace radflare {

struct FileState {
  std::string bytes;
  unsigned mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
};

class Snapshot {
 public:
  // Read the current state of `paths` (absolute appliance paths) under `root`.
  static Snapshot capture(const std::string& root, const std::vector<std::string>& paths);

  // Put every file back as captured; files that did not exist are removed.
  void restore(const std::string& root) const;

  const std::map<std::string, std::optional<FileState>>& files() const { return files_; }

  // The journal: `dir` holds one data file per captured file and an index
  // written last, so a journal without an index was never complete.
  void save_journal(const std::string& dir) const;
  static std::optional<Snapshot> load_journal(const std::string& dir);
  static void clear_journal(const std::string& dir);

 private:
  std::map<std::string, std::optional<FileState>> files_;  // path -> state, nullopt = absent
};

}  // namespace radflare
