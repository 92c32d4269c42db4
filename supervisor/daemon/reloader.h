// One reload, start to end: load + validate, render, apply-or-revert.
// Independent of the event loop so it is tested with fakes.
#pragma once

#include <string>
#include <vector>

#include "apply/applier.h"
#include "config/load.h"

namespace radflare {

struct ReloadReport {
  bool ok = false;
  std::string summary;                   // one line: "applied: restart orthanc.service"
  std::vector<std::string> diagnostics;  // config errors/warnings, FILE:LINE:COL: …
  std::string outcome;                   // "invalid config", "no change", "applied", "reverted", …
};

class Reloader {
 public:
  Reloader(std::string config_path, std::string secrets_dir, Applier& applier, HostFacts host)
      : config_path_(std::move(config_path)), secrets_dir_(std::move(secrets_dir)), applier_(applier),
        host_(std::move(host)) {}

  ReloadReport reload();

 private:
  std::string config_path_;
  std::string secrets_dir_;
  Applier& applier_;
  HostFacts host_;
};

}  // namespace radflare
