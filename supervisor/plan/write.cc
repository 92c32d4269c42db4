#include "plan/write.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace radflare {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path);
}

int uid_of(const std::string& name) {
  const passwd* p = ::getpwnam(name.c_str());
  return p ? static_cast<int>(p->pw_uid) : -1;
}
int gid_of(const std::string& name) {
  const group* g = ::getgrnam(name.c_str());
  return g ? static_cast<int>(g->gr_gid) : -1;
}

}  // namespace

std::string under_root(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}

void write_file_atomically(const std::string& path, const std::string& bytes, unsigned mode, int uid, int gid) {
  const std::filesystem::path target(path);
  std::filesystem::create_directories(target.parent_path());
  const std::string tmp = path + ".radflare-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot create", tmp);
  // Owner and mode before the content lands, so a secret is never readable
  // by the wrong user, not even for a moment.
  if ((uid >= 0 || gid >= 0) && ::fchown(fd, uid, gid) != 0) fail("cannot chown", tmp);
  if (::fchmod(fd, mode) != 0) fail("cannot chmod", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("cannot fsync", tmp);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename into", path);
  int dir = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

size_t write_plan(const Plan& plan, const WriteOptions& options) {
  const bool can_chown = options.apply_owners && ::geteuid() == 0;
  for (const auto& f : plan.files) {
    int uid = can_chown ? uid_of(f.owner) : -1;
    int gid = can_chown ? gid_of(f.group) : -1;
    write_file_atomically(under_root(options.root, f.path), f.bytes, f.mode, uid, gid);
  }
  return plan.files.size();
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

}  // namespace radflare
