// /metrics: the status report in Prometheus' text exposition format 0.0.4.
// Every family has # HELP and # TYPE; label values are escaped; a value the
// report does not have (Orthanc not answering, no certificate) is left out
// rather than written as 0. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace radflare {

std::string prometheus_text(const nlohmann::json& report);

// A label value with \, " and newline escaped as the format requires.
std::string prometheus_label(std::string_view value);

}  // namespace radflare
