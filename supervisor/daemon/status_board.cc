#include "daemon/status_board.h"

namespace radflare {

void StatusBoard::publish(const std::string& section, nlohmann::json value) {
  {
    std::lock_guard lock(mutex_);
    sections_[section] = std::move(value);
  }
  if (listener_) listener_();
}

nlohmann::json StatusBoard::section(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = sections_.find(name);
  return it == sections_.end() ? nlohmann::json() : *it;
}

nlohmann::json StatusBoard::snapshot() const {
  std::lock_guard lock(mutex_);
  return sections_;
}

}  // namespace radflare
