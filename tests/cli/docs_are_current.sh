# docs/configuration.md is what `radflare schema` prints (run `make docs`).
. "$(dirname "$0")/common.inc"
"$radflare" schema | diff -u "$src/docs/configuration.md" - >&2
