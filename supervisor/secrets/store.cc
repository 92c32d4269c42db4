#include "secrets/store.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace radflare {

std::string generate_password() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < 32) {
    unsigned char buf[64];
    ssize_t n = ::getrandom(buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    for (ssize_t i = 0; i < n && out.size() < 32; ++i)
      if (buf[i] < 248) out += kAlphabet[buf[i] % 62];  // 248 = 4*62: no modulo bias
  }
  return out;
}

std::string SecretStore::get(const std::string& name) {
  const std::string path = dir_ + "/" + name;
  std::ifstream in(path);
  if (in) {
    std::string value;
    std::getline(in, value);
    if (!value.empty()) return value;
  }
  if (!persist_) {
    auto [it, inserted] = ephemeral_.try_emplace(name, "");
    if (inserted) it->second = generate_password();
    return it->second;
  }
  std::string value = generate_password();
  put(name, value);
  return value;
}

void SecretStore::commit() {
  for (const auto& [name, value] : ephemeral_) put(name, value);
  ephemeral_.clear();
}

void SecretStore::put(const std::string& name, const std::string& value) {
  std::filesystem::create_directories(dir_);
  ::chmod(dir_.c_str(), 0700);
  const std::string path = dir_ + "/" + name, tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot write secret " + name);
  const std::string line = value + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), "cannot write secret " + name);
}

}  // namespace radflare
