# The shipped /etc/radflare.toml is valid as it is.
. "$(dirname "$0")/common.inc"
"$radflare" check --config "$src/rootfs/etc/radflare.toml" | grep -q "configuration is valid"
