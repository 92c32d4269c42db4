// The appliance's own secrets, one file each under /var/lib/radflare/secrets
// (0600 root). Generated on first use with getrandom(2): 32 characters from
// [A-Za-z0-9], about 190 bits.
#pragma once

#include <map>
#include <string>

#include "config/file_access.h"

namespace radflare {

std::string generate_password();

class SecretStore final : public ManagedSecrets {
 public:
  // persist = false: a missing secret is generated in memory only (for
  // `check` and `diff`, which must not write anything).
  SecretStore(std::string dir, bool persist) : dir_(std::move(dir)), persist_(persist) {}

  std::string get(const std::string& name) override;
  // Write the secrets generated in memory so far (a non-persisting store
  // used to validate first, then committed once the config is known good).
  void commit();
  // Replace a secret (rotation): written atomically, 0600.
  void put(const std::string& name, const std::string& value);
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool persist_;
  std::map<std::string, std::string> ephemeral_;
};

}  // namespace radflare
