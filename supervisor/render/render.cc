#include "render/render.h"

namespace radflare {

Plan render_plan(const Config& config) {
  Plan plan;
  for (auto render : {render_orthanc, render_postgresql, render_python, render_nginx, render_ohif})
    for (auto& file : render(config)) plan.files.push_back(std::move(file));
  return plan;
}

}  // namespace radflare
