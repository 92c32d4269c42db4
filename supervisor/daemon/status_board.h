// What the daemon knows, published for the status page and state.json.
//
// Each part of the daemon owns one section ("reload", "units", "tls",
// "admin", …) and replaces it whole with publish(). Readers take a snapshot
// of all sections. Thread-safe: the status server answers from its own
// threads while the event loop publishes. Sections never hold a secret.
#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace radflare {

class StatusBoard {
 public:
  void publish(const std::string& section, nlohmann::json value);
  nlohmann::json section(const std::string& name) const;  // null when never published
  nlohmann::json snapshot() const;                        // {"section": value, …}
  // Called (outside the lock) after each publish; the daemon writes state.json.
  void on_change(std::function<void()> listener) { listener_ = std::move(listener); }

 private:
  mutable std::mutex mutex_;
  nlohmann::json sections_ = nlohmann::json::object();
  std::function<void()> listener_;
};

}  // namespace radflare
