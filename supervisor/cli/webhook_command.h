// `radflare webhook stats|list-dead|replay [KEY...] [--config F]`: the
// operator's view of the shipped forwarder's queue (webhook.queue_path). A
// thin front: it reads the TOML for the queue's place and kind, then execs
// Debian's python3 on the installed forwarder, which is also a command-line
// tool (plugins/webhook_forwarder.py, docs/webhook.md).
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "config/config.h"

namespace radflare {

inline constexpr const char* kPython3 = "/usr/bin/python3";

// The command line run for `radflare webhook SUB KEY...`, argv[0] first.
// Throws std::invalid_argument (a sentence for the operator) on an unknown
// SUB, or on KEYs given to anything but replay.
std::vector<std::string> webhook_argv(const WebhookConfig& webhook, const std::string& script,
                                      const std::string& sub, const std::vector<std::string>& keys);

// Loads the configuration, then replaces this process with python3 (exit code
// is the script's: 0 ok, 1 no queue yet or nothing readable, 2 usage).
// RADFLARE_WEBHOOK_SCRIPT overrides the installed script's path (tests).
int cmd_webhook(const Args& args);

}  // namespace radflare
