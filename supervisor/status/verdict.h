// The status page's one-line answer: green (all well), amber (serving, but
// something needs the operator's attention soon) or red (something essential
// is down), with every reason. Pure: a function of the assembled status
// report (status/report.h), so each rule is unit-tested with a small JSON.
//
//   red    a managed unit not active (failed, stopped, unknown); Orthanc not
//          answering; DICOMweb not answering; PostgreSQL unreachable; a data
//          volume under kDiskRedPercent free; the certificate expired or the
//          TLS section says red.
//   amber  a unit starting or stopping; the last reload failed or was
//          reverted; a probe has no fresh result; PostgreSQL slower than
//          kDbLatencyAmberMs; a volume under kDiskAmberPercent free; memory
//          under kMemoryAmberPercent available; certificate within
//          kCertAmberDays of expiry or a renewal error; the admin password
//          rotation failed; webhook dead letters or a silent forwarder.
//
// /healthz answers 200 exactly when the verdict is not red.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace radflare {

enum class Level { Green = 0, Amber = 1, Red = 2 };
const char* to_string(Level level);

struct Reason {
  Level level;
  std::string component;  // "nginx.service", "orthanc", "disk", …
  std::string message;    // a sentence for the operator
};

struct Verdict {
  Level level = Level::Green;
  std::vector<Reason> reasons;  // red first, then amber
  nlohmann::json to_json() const;
};

inline constexpr double kDiskAmberPercent = 10;
inline constexpr double kDiskRedPercent = 5;
inline constexpr double kMemoryAmberPercent = 10;
inline constexpr double kDbLatencyAmberMs = 100;
inline constexpr double kCertAmberDays = 14;
inline constexpr double kProbeLateSeconds = 30;     // probes run every 5 s
inline constexpr double kWebhookSilentSeconds = 60;  // stats.json is rewritten every 10 s

// The level of one unit from its systemd ActiveState.
Level unit_level(const std::string& active_state);
// The level of a data volume from its free space.
Level disk_level(double free_percent);

// `report`: the /api/status document without its "verdict" member.
Verdict judge(const nlohmann::json& report);

}  // namespace radflare
