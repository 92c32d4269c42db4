// One function per `radflare` sub-command. Each returns the process exit code.
#pragma once

#include "cli/args.h"

namespace radflare {

// Exit codes, documented in `radflare --help` and README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalidConfig = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitChangesPending = 3;  // `diff`: the live files differ
inline constexpr int kExitFailure = 4;         // I/O or another runtime failure

int cmd_check(const Args& args);
int cmd_render(const Args& args);
int cmd_diff(const Args& args);
int cmd_schema(const Args& args);
int cmd_layout_ohif(const Args& args);
int cmd_supervise(const Args& args);
int cmd_reload(const Args& args);
int cmd_rotate_password(const Args& args);
int cmd_renew(const Args& args);
int cmd_admin_password(const Args& args);

}  // namespace radflare
