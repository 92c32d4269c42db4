#!/usr/bin/env bash
# `packer validate` of image/radflare.pkr.hcl with Debian's packer 1.6.6, for
# both sources and both AWS bases, offline: no AWS credentials, no network,
# dummy inputs (validate checks the qemu source's files exist and that its
# ssh key parses; it does not look the AMI up).
#   bash tests/image/packer_validate.sh SOURCE_DIR      (exit 77: no packer)
set -euo pipefail
SRC=$(realpath "${1:-$(dirname "$0")/../..}")
command -v packer >/dev/null || { echo "skipped: packer is not installed (scripts/install-deps.sh)"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
touch "$T/stage.tar.gz" "$T/disk.raw" "$T/vmlinuz" "$T/initrd.img"
ssh-keygen -q -t ed25519 -N '' -f "$T/key"
# No credentials, no proxy, no checkpoint call: only PATH and a scratch HOME.
validate() {
  env -i PATH="$PATH" HOME="$T" CHECKPOINT_DISABLE=1 packer validate \
    -var "stage_tar=$T/stage.tar.gz" -var "base_disk=$T/disk.raw" -var "ssh_key=$T/key" \
    -var "kernel=$T/vmlinuz" -var "initrd=$T/initrd.img" -var "output_dir=$T/out" "$@" \
    "$SRC/image/radflare.pkr.hcl" >"$T/out.log" 2>&1
}
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; sed 's/^/    /' "$T/out.log"; exit 1; }

echo "# $(packer version | head -n1)"
validate || fail "packer validate (both sources)"
ok "packer validate: amazon-ebs.aws (ubuntu) and qemu.local"
for only in amazon-ebs.aws qemu.local; do
  validate -only="$only" || fail "packer validate -only=$only"
  ok "packer validate -only=$only"
done
validate -var base=debian || fail "packer validate -var base=debian"
ok "packer validate -var base=debian (official Debian 12 AMI)"
if validate -var base=centos; then fail "base=centos was accepted"; fi
grep -q 'must be "ubuntu" or "debian"' "$T/out.log" || fail "base=centos: no clear message"
ok "packer validate -var base=centos fails: the base must be \"ubuntu\" or \"debian\""
# Packer 1.6.6 must not meet what only current Packer reads.
if grep -qE '^\s*(required_plugins|packer\s*\{)' "$SRC/image/radflare.pkr.hcl"; then
  echo "not ok - image/radflare.pkr.hcl has a packer/required_plugins block (1.6.6 rejects it)"; exit 1
fi
ok "no required_plugins block in the template (it lives in image/plugins.pkr.hcl.current)"
