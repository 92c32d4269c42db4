// Writing a Plan to disk: each file atomically (temp file in the same folder,
// fsync, rename, fsync of the folder), so a reader or a crash sees the old
// file or the new one, never a torn one.
#pragma once

#include <string>

#include "plan/plan.h"

namespace radflare {

struct WriteOptions {
  std::string root = "/";  // prefix for every path (render --root DIR)
  bool apply_owners = true;  // chown to owner/group when running as root
};

// root + path, without a doubled slash ("/" root = the path itself).
std::string under_root(const std::string& root, const std::string& path);

// Writes one file; throws std::system_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& bytes, unsigned mode, int uid = -1,
                           int gid = -1);

// Writes every file of the plan. Returns the number of files written.
size_t write_plan(const Plan& plan, const WriteOptions& options);

// The content of a file under root, or nullopt when it does not exist.
bool read_file(const std::string& path, std::string& out);

}  // namespace radflare
