// Renderers: pure functions from a validated Config to the files it implies.
// One source file per artifact, each with a golden test beside it.
#pragma once

#include <vector>

#include "config/config.h"
#include "plan/plan.h"

namespace radflare {

std::vector<PlannedFile> render_orthanc(const Config& config);     // render/orthanc.cc
std::vector<PlannedFile> render_postgresql(const Config& config);  // render/postgresql.cc
std::vector<PlannedFile> render_python(const Config& config);      // render/python.cc
std::vector<PlannedFile> render_nginx(const Config& config);       // render/nginx.cc
std::vector<PlannedFile> render_ohif(const Config& config);        // render/ohif.cc

// What nginx answers on loopback at /.radflare/nginx-generation once it
// serves the files render_nginx(config) wrote: a digest of those files.
std::string nginx_generation(const Config& config);  // render/nginx.cc

// All of the above, in a stable order.
Plan render_plan(const Config& config);  // render/render.cc

}  // namespace radflare
