#include "cli/webhook_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "cli/commands.h"
#include "config/load.h"
#include "render/paths.h"
#include "render/python.h"
#include "secrets/store.h"

namespace radflare {

namespace {

constexpr const char* kUsage =
    "usage: radflare webhook stats|list-dead|replay [KEY...] [--config F]\n"
    "  stats      queue depth, delivered, failed attempts, dead letters (JSON)\n"
    "  list-dead  the dead-lettered events (JSON)\n"
    "  replay     queue every dead letter again (or only the idempotency KEYs given)\n";

}  // namespace

std::vector<std::string> webhook_argv(const WebhookConfig& webhook, const std::string& script,
                                      const std::string& sub, const std::vector<std::string>& keys) {
  if (sub != "stats" && sub != "list-dead" && sub != "replay")
    throw std::invalid_argument("unknown webhook command \"" + sub + "\" (stats, list-dead or replay)");
  if (!keys.empty() && sub != "replay")
    throw std::invalid_argument("only replay takes idempotency keys");
  std::vector<std::string> argv = {kPython3,  script,        sub, "--queue", webhook.queue_path,
                                   "--queue-type", webhook.queue == QueueType::Memory ? "memory" : "persistent"};
  for (const auto& key : keys) {
    argv.push_back("--key");
    argv.push_back(key);
  }
  return argv;
}

int cmd_webhook(const Args& args) {
  if (args.positional.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string sub = args.positional.front();
  const std::vector<std::string> keys(args.positional.begin() + 1, args.positional.end());

  const std::string path = args.get("--config", "/etc/radflare.toml");
  RealFileAccess files;
  SecretStore store(args.get("--secrets", paths::kSecretsDir), false);  // never writes
  LoadContext context{detect_host_facts(), files, store};
  LoadResult result = load_config_file(path, context);
  for (const auto& d : result.diagnostics)
    if (d.severity == Diagnostic::Severity::Error) std::cerr << d.format() << "\n";
  if (!result.config) {
    std::cerr << path << ": invalid configuration; see the errors above\n";
    return kExitInvalidConfig;
  }
  const Config& config = *result.config;
  if (!config.python.script.empty()) {
    std::cerr << "radflare webhook: python.script (" << config.python.script
              << ") replaces the shipped forwarder; its queue is its own\n";
    return kExitInvalidConfig;
  }
  if (!config.webhook.enabled())
    std::cerr << "radflare webhook: note: webhook.url is empty, the forwarder is off; showing what it left in "
              << config.webhook.queue_path << "\n";

  const char* override_script = std::getenv("RADFLARE_WEBHOOK_SCRIPT");
  const std::string script = override_script && *override_script ? override_script : kWebhookForwarderScript;
  std::vector<std::string> argv;
  try {
    argv = webhook_argv(config.webhook, script, sub, keys);
  } catch (const std::invalid_argument& e) {
    std::cerr << "radflare webhook: " << e.what() << "\n\n" << kUsage;
    return kExitUsage;
  }
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  ::execv(kPython3, cargv.data());
  std::cerr << "radflare webhook: cannot run " << kPython3 << " " << script << ": " << std::strerror(errno)
            << "\n";
  return kExitFailure;
}

}  // namespace radflare
