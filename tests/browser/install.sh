#!/usr/bin/env bash
# The browser test driver's node modules (playwright-core from package-lock),
# once. Every test that drives Chromium calls this; `make test` runs the VM
# tier beside the others, so one npm ci at a time: a second caller waits and
# finds it done.
set -euo pipefail
cd "$(dirname "$0")"
exec 9>.npm.lock
flock 9
[[ -d node_modules/playwright-core ]] || npm ci --no-audit --no-fund --silent
