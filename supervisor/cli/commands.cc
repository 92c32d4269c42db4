#include "cli/commands.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "acme/renewal.h"
#include "config/load.h"
#include "config/schema_doc.h"
#include "daemon/control.h"
#include "daemon/supervise.h"
#include "ohif/layout.h"
#include "plan/diff.h"
#include "plan/unit_actions.h"
#include "plan/write.h"
#include "render/paths.h"
#include "render/render.h"
#include "secrets/store.h"

namespace radflare {

namespace {

constexpr const char* kDefaultConfig = "/etc/radflare.toml";

std::string strip_slash(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root == "/" ? "" : root;
}

// Load and validate; print every diagnostic to stderr. Missing appliance
// secrets are generated in memory; `persist_secrets` writes them to the store
// once the configuration is known to be valid (render), never before.
std::optional<Config> load(const Args& args, const std::string& root, bool persist_secrets) {
  const std::string path = args.get("--config", kDefaultConfig);
  const std::string secrets_dir = args.get("--secrets", strip_slash(root) + paths::kSecretsDir);
  RealFileAccess files;
  SecretStore store(secrets_dir, false);
  LoadContext context{detect_host_facts(), files, store};
  LoadResult result = load_config_file(path, context);
  int errors = 0;
  for (const auto& d : result.diagnostics) {
    std::cerr << d.format() << "\n";
    errors += d.severity == Diagnostic::Severity::Error;
  }
  if (!result.config) {
    std::cerr << path << ": " << errors << (errors == 1 ? " error" : " errors")
              << "; nothing was changed.\n";
    return std::nullopt;
  }
  if (persist_secrets) store.commit();
  return result.config;
}

}  // namespace

int cmd_check(const Args& args) {
  auto config = load(args, args.get("--root", "/"), false);
  if (!config) return kExitInvalidConfig;
  Plan plan = render_plan(*config);
  std::cout << config->source_path << ": configuration is valid (" << plan.files.size() << " files would be rendered)\n";
  return kExitOk;
}

int cmd_render(const Args& args) {
  const std::string root = args.get("--root");
  if (root.empty()) {
    std::cerr << "radflare render: --root DIR is required (use --root / to render onto this machine)\n";
    return kExitUsage;
  }
  auto config = load(args, root, true);
  if (!config) return kExitInvalidConfig;
  Plan plan = render_plan(*config);
  write_plan(plan, {root, true});
  if (config->tls.mode == TlsMode::Acme) {
    // nginx serves the supervisor's pair: a placeholder until issuance (first boot).
    if (auto problem = acme::ensure_placeholder(root, config->tls.domains); !problem.empty()) {
      std::cerr << "radflare render: " << problem << "\n";
      return kExitFailure;
    }
  }
  for (const auto& f : plan.files)
    std::cout << std::oct << f.mode << std::dec << " " << f.owner << ":" << f.group << " " << strip_slash(root)
              << f.path << "\n";
  return kExitOk;
}

int cmd_diff(const Args& args) {
  const std::string root = args.get("--root", "/");
  auto config = load(args, root, false);
  if (!config) return kExitInvalidConfig;
  auto changes = diff_plan(render_plan(*config), root);
  for (const auto& c : changes) {
    switch (c.kind) {
      case FileChange::Kind::Added: std::cout << "new file " << c.path << "\n"; break;
      case FileChange::Kind::Changed: std::cout << "changed " << c.path << "\n"; break;
      case FileChange::Kind::ModeChanged: std::cout << "mode changed " << c.path << "\n"; break;
    }
    if (c.unified.empty() && c.kind != FileChange::Kind::ModeChanged)
      std::cout << "  (holds secrets: content not shown)\n";
    std::cout << c.unified;
  }
  if (changes.empty()) {
    std::cout << "no changes\n";
  } else {
    std::vector<std::string> changed;
    for (const auto& c : changes) changed.push_back(c.path);
    auto actions = actions_for(changed);
    std::cout << "\na reload would " << (actions.empty() ? "write the files and restart nothing" : "");
    for (size_t i = 0; i < actions.size(); ++i)
      std::cout << (i ? ", " : "") << to_string(actions[i].action) << " " << actions[i].unit;
    std::cout << "\n";
  }
  return changes.empty() ? kExitOk : kExitChangesPending;
}

int cmd_schema(const Args&) {
  std::cout << schema_markdown();
  return kExitOk;
}

int cmd_layout_ohif(const Args& args) {
  const std::string from = args.get("--from", paths::kOhifPristine);
  const std::string to = args.get("--to", paths::kOhifServed);
  auto config = load(args, args.get("--root", "/"), false);
  if (!config) return kExitInvalidConfig;
  try {
    layout_ohif(from, to, config->web.ohif_path);
  } catch (const std::exception& e) {
    std::cerr << "radflare layout-ohif: " << e.what() << "\n";
    return kExitFailure;
  }
  std::cout << "OHIF from " << from << " laid out under " << config->web.ohif_path << " in " << to << "\n";
  return kExitOk;
}

int cmd_supervise(const Args& args) {
  SuperviseOptions options;
  options.config_path = args.get("--config", options.config_path);
  options.control_socket = args.get("--control", options.control_socket);
  return supervise(options);
}

int cmd_reload(const Args& args) { return request_reload(args.get("--control", SuperviseOptions{}.control_socket)); }

int cmd_rotate_password(const Args& args) {
  return send_control_request(args.get("--control", SuperviseOptions{}.control_socket), "rotate-password");
}

int cmd_renew(const Args& args) {
  return send_control_request(args.get("--control", SuperviseOptions{}.control_socket),
                              args.has("--force") ? "renew --force" : "renew");
}

int cmd_admin_password(const Args& args) {
  // The file is 0600 root: reading it is the permission check.
  const std::string path = args.get("--secrets", paths::kSecretsDir) + std::string("/admin-password");
  std::ifstream in(path);
  std::string value;
  if (!in || !std::getline(in, value) || value.empty()) {
    std::cerr << "radflare admin-password: cannot read " << path << " ("
              << (errno == EACCES ? "run it as root" : std::strerror(errno)) << ")\n";
    return kExitFailure;
  }
  std::cout << value << "\n";
  return kExitOk;
}

}  // namespace radflare
