#include "config/file_access.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace radflare {

bool RealFileAccess::exists(const std::string& path) const {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::string> RealFileAccess::read_secret(const std::string& path, std::string& error) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = errno == ENOENT ? "does not exist" : std::string("cannot be read (") + std::strerror(errno) + ")";
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "is not a regular file";
    return std::nullopt;
  }
  std::ifstream in(path);
  if (!in) {
    error = std::string("cannot be read (") + std::strerror(errno) + ")";
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    error = "is empty (the secret is its first line)";
    return std::nullopt;
  }
  return line;
}

}  // namespace radflare
