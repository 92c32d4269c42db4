// A secret value that cannot be printed by accident.
//
// There is no operator<< and no implicit conversion: code that needs the
// bytes calls reveal(), which is easy to grep for. Diagnostics and logs use
// redacted().
#pragma once

#include <string>
#include <utility>

namespace radflare {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  static const char* redacted() { return "<redacted>"; }

  bool operator==(const Secret& other) const = default;

 private:
  std::string value_;
};

}  // namespace radflare
