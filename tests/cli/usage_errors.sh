# Usage errors exit 2 and say what is wrong; --help exits 0.
. "$(dirname "$0")/common.inc"
expect_exit 2 "$radflare" frobnicate 2>"$t/err"; grep -q 'unknown command "frobnicate"' "$t/err"
expect_exit 2 "$radflare" check --config 2>"$t/err"; grep -q 'needs a value' "$t/err"
expect_exit 2 "$radflare" render --config "$src/tests/configs/minimal.toml" 2>"$t/err"; grep -q -- '--root DIR is required' "$t/err"
"$radflare" check --help | grep -q "usage: radflare check"
"$radflare" version | grep -Eq '^radflare [0-9]+\.[0-9]+\.[0-9]+$'
