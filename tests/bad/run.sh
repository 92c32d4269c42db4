#!/usr/bin/env bash
# The bad-configuration corpus: every tests/bad/*.toml must make
# `radflare check` exit 1 with the message and position its first line names:
#   # expect: LINE:COL: part of the message
# and must not make it print anything on stdout (nothing was accepted).
set -uo pipefail
radflare=$1 src=$2
failed=0 total=0
for f in "$src"/tests/bad/*.toml; do
  total=$((total + 1))
  expect=$(head -1 "$f" | sed -n 's/^# expect: //p')
  position=${expect%%: *} message=${expect#*: }
  err=$("$radflare" check --config "$f" 2>&1 >/dev/null); code=$?
  name=$(basename "$f")
  if [ "$code" -ne 1 ]; then
    echo "FAIL $name: exit $code, expected 1"; failed=$((failed + 1)); continue
  fi
  if ! grep -qF -- "$f:$position: error: " <<<"$err" || ! grep -qF -- "$message" <<<"$err"; then
    echo "FAIL $name: expected \"$f:$position: error: …$message…\", got:"; echo "$err" | sed 's/^/    /'
    failed=$((failed + 1)); continue
  fi
  echo "ok   $name"
done
echo "$((total - failed)) of $total bad configurations rejected as expected"
[ "$failed" -eq 0 ]
