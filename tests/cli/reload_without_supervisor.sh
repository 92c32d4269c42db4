# radflare reload without a running supervisor says so and exits 4.
. "$(dirname "$0")/common.inc"
expect_exit 4 "$radflare" reload --control "$t/none.sock" 2>"$t/err"
grep -q "the supervisor is not running" "$t/err"
