// How the loader looks at files the TOML names (secret files, scripts,
// certificates). An interface so validation is unit-tested without a disk.
#pragma once

#include <optional>
#include <string>

namespace radflare {

class FileAccess {
 public:
  virtual ~FileAccess() = default;
  virtual bool exists(const std::string& path) const = 0;
  // The first line of a secret file, or nullopt with `error` set to the end
  // of a sentence ("does not exist", "is empty", …). Never logs the content.
  virtual std::optional<std::string> read_secret(const std::string& path, std::string& error) const = 0;
};

class RealFileAccess final : public FileAccess {
 public:
  bool exists(const std::string& path) const override;
  std::optional<std::string> read_secret(const std::string& path, std::string& error) const override;
};

// Secrets the appliance makes for itself ("admin-password", "db-password",
// "proxy-password"). The real store is secrets/store.h.
class ManagedSecrets {
 public:
  virtual ~ManagedSecrets() = default;
  virtual std::string get(const std::string& name) = 0;
};

}  // namespace radflare
