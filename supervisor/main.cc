// radflare: the appliance supervisor. This file only dispatches commands.
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <stdexcept>

#include "cli/commands.h"
#include "cli/webhook_command.h"
#include "version.h"

namespace {

constexpr const char* kUsage = R"(usage: radflare COMMAND [options]

Commands:
  check   [--config F]               validate the configuration (like nginx -t)
  render  [--config F] --root DIR    write every rendered file under DIR
  diff    [--config F] [--root DIR]  show what a reload would change (default root /)
  layout-ohif [--config F] [--from DIST] [--to DIR]
                                     lay out the OHIF viewer under web.ohif_path
  supervise [--config F]             run the supervisor (radflare.service)
  reload                             apply /etc/radflare.toml now and wait for the outcome
  rotate-password                    give the admin a new random password now (root)
  renew [--force]                    renew the HTTPS certificate now if due (tls.mode = "acme"; root)
  admin-password                     print the current admin password (root)
  webhook stats|list-dead|replay [KEY...] [--config F]
                                     the study webhook queue: counts, dead letters, replay
  schema                             print docs/configuration.md (every key and default)
  version                            print the version

Options:
  --config F     configuration file (default /etc/radflare.toml)
  --secrets DIR  appliance secrets (default ROOT/var/lib/radflare/secrets)
  --help         help for a command

Exit codes: 0 ok (diff: no changes), 1 invalid configuration, 2 usage error,
            3 diff: changes pending, 4 runtime failure.
)";

const std::map<std::string, std::string> kCommandHelp = {
    {"check", "usage: radflare check [--config F]\n\nLoads and validates F (default /etc/radflare.toml), renders every file in\nmemory, and reports every problem as FILE:LINE:COL: error: KEY: MESSAGE.\nChanges nothing. Exit 0 when valid, 1 when not.\n"},
    {"render", "usage: radflare render [--config F] --root DIR [--secrets DIR]\n\nWrites every rendered file under DIR at its appliance path, with its mode\n(and owner when run as root). Missing appliance secrets are generated into\nDIR/var/lib/radflare/secrets. Exit 1 on an invalid configuration.\n"},
    {"diff", "usage: radflare diff [--config F] [--root DIR]\n\nShows, as unified diffs, what rendering F would change in the files under DIR\n(default /). Files holding secrets are named but not shown. Exit 0 when\nnothing would change, 3 when something would, 1 on an invalid configuration.\n"},
    {"layout-ohif", "usage: radflare layout-ohif [--config F] [--from DIST] [--to DIR]\n\nLays out the prebuilt OHIF viewer DIST (default /usr/share/radflare/ohif) for\nthe configured web.ohif_path into DIR (default /var/lib/radflare/www/ohif).\n"},
    {"supervise", "usage: radflare supervise [--config F] [--control SOCKET]\n\nThe daemon behind radflare.service (Type=notify): converges the live files to F,\nthen reloads on SIGHUP or `radflare reload`. A reload that fails is reverted.\n"},
    {"reload", "usage: radflare reload [--control SOCKET]\n\nAsks the running supervisor to apply /etc/radflare.toml and waits for the\noutcome (systemctl reload radflare runs this). Exit 0 when applied or nothing\nchanged, 1 when the file is invalid (nothing changed), 4 when the apply failed\nand was reverted.\n"},
    {"rotate-password", "usage: radflare rotate-password [--control SOCKET]\n\nAsks the running supervisor for a new random admin password, applied to nginx\nwith a graceful reload (Orthanc is not restarted). If any step fails, the\nprevious password stays valid everywhere. Exit 0 when rotated, 4 when not.\n"},
    {"renew", "usage: radflare renew [--force] [--control SOCKET]\n\nAsks the running supervisor to renew the ACME certificate now if it is due\n(ignoring the retry backoff), or even if not due with --force. The current\ncertificate stays in use until a new one is installed; nginx is reloaded\ngracefully. Exit 0 when renewed or not due, 4 when the renewal failed.\n"},
    {"admin-password", "usage: radflare admin-password [--secrets DIR]\n\nPrints the current admin password (readable by root only).\n"},
    {"schema", "usage: radflare schema\n\nPrints the reference of every configuration key as Markdown.\n"},
    {"version", "usage: radflare version\n"},
};

}  // namespace

int main(int argc, char** argv) {
  using namespace radflare;
  spdlog::set_pattern("radflare: %^%l%$: %v");
  Args args;
  try {
    args = parse_args(argc, argv, {"--config", "--root", "--secrets", "--from", "--to", "--control"});
  } catch (const std::invalid_argument& e) {
    std::cerr << "radflare: " << e.what() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (args.command.empty() || args.command == "help") {
    std::cout << kUsage;
    return args.command.empty() && !args.has("--help") ? kExitUsage : kExitOk;
  }
  if (args.has("--help")) {
    auto it = kCommandHelp.find(args.command);
    std::cout << (it == kCommandHelp.end() ? kUsage : it->second);
    return kExitOk;
  }
  try {
    if (args.command == "check") return cmd_check(args);
    if (args.command == "render") return cmd_render(args);
    if (args.command == "diff") return cmd_diff(args);
    if (args.command == "schema") return cmd_schema(args);
    if (args.command == "layout-ohif") return cmd_layout_ohif(args);
    if (args.command == "supervise") return cmd_supervise(args);
    if (args.command == "reload") return cmd_reload(args);
    if (args.command == "rotate-password") return cmd_rotate_password(args);
    if (args.command == "renew") return cmd_renew(args);
    if (args.command == "admin-password") return cmd_admin_password(args);
    if (args.command == "webhook") return cmd_webhook(args);
    if (args.command == "version") {
      std::cout << "radflare " << RADFLARE_VERSION << "\n";
      return kExitOk;
    }
  } catch (const std::exception& e) {
    std::cerr << "radflare " << args.command << ": " << e.what() << "\n";
    return kExitFailure;
  }
  std::cerr << "radflare: unknown command \"" << args.command << "\"\n\n" << kUsage;
  return kExitUsage;
}
