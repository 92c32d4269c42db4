# An invalid configuration renders nothing and generates no secret.
. "$(dirname "$0")/common.inc"
expect_exit 1 "$radflare" render --config "$src/tests/bad/04-port-out-of-range.toml" --root "$t/root" 2>"$t/err"
grep -q "nothing was changed" "$t/err"
not test -e "$t/root"
