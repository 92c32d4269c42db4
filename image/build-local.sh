#!/usr/bin/env bash
# make image-local: the local twin of the AMI, built by Packer (qemu source)
# from a Debian 12 base, provisioned by image/scripts/provision.sh exactly as
# the AMI is.
#
#   image/build-local.sh --deb FILE            -> build/image/radflare.qcow2, vmlinuz, initrd.img
#   image/build-local.sh --deb FILE --stage-only [--with-source]
#                                    only the staging tar (make image uses it, with the source)
#
# Layers, each cached by a hash of its inputs:
#   1. stage   build/image/stage.tar.gz: radflare.deb, ohif-dist/, rootfs/, units/,
#              scripts/; keyed by the .deb's contents (not its timestamps), the
#              OHIF pin and the trees; made only when Packer runs. gzip -1: the
#              upload into a TCG guest runs at 1-2 MB/s; measured 213 MB plain:
#              87-102 s upload + 13 s unpack; 68 MB gzipped: 51 s + 30 s)
#   2. base    build/image/base/: image/base-build.sh (mmdebstrap), keyed by its
#              recipe, package list and the .deb's runtime dependencies
#   3. image   build/image/radflare.qcow2 + vmlinuz + initrd.img: packer build
#              -only=qemu.local; keyed by stage + base + template + this script.
#              When the key matches, Packer is not run at all.
# The build-only ssh key is made for each Packer run, written into a copy of
# the base (never into the cached base), and deleted after the run; the
# image's own clean-up (90-cleanup.sh) removes it from the image.
#
# Needs root (mmdebstrap), packer, qemu-system-x86, qemu-utils, mmdebstrap,
# e2fsprogs (debugfs), openssh-client, npm (OHIF), network access to the
# Debian mirror. Environment: RADFLARE_IMAGE_DIR (default build/image).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${RADFLARE_IMAGE_DIR:-$SRC/build/image}
DEB=
STAGE_ONLY=false
WITH_SOURCE=false
while (($#)); do
  case $1 in
    --deb) DEB=$(realpath "$2"); shift 2 ;;
    --stage-only) STAGE_ONLY=true; shift ;;
    --with-source) WITH_SOURCE=true; shift ;;
    *) echo "usage: $0 --deb FILE [--stage-only [--with-source]]" >&2; exit 2 ;;
  esac
done

T0=$SECONDS
say() { printf 'image-local [%3d s]: %s\n' $((SECONDS - T0)) "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ -f $DEB ]] || die "--deb FILE is required (make deb builds it)"
[[ $(id -u) == 0 ]] || die "must run as root (mmdebstrap, debugfs on the build disk)"
missing=()
for tool in packer qemu-system-x86_64 qemu-img mmdebstrap debugfs ssh-keygen npm; do
  command -v $tool >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (run scripts/install-deps.sh)"

cd "$SRC"
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock -n 9 || { say "another image build holds $OUT/.lock; waiting"; flock 9; }

rm -f "$OUT/stage.tar"   # older layout

# ---------------------------------------------------------------- 1. stage
# Its key is what goes in, not the tar's bytes: a re-run of cpack makes a
# .deb with new timestamps but the same contents, which must not rebuild.
tree_hash() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$SRC" -cf - "$@" | sha256sum | cut -c1-64; }
deb_hash=$( { dpkg-deb -f "$DEB" Package Version Depends
              dpkg-deb --fsys-tarfile "$DEB" | tar -tv --numeric-owner | awk '{print $1, $2, $3, $6}'
              dpkg-deb --fsys-tarfile "$DEB" | tar -xO; } | sha256sum | cut -c1-64)
stage_key=$(printf '%s\n' "deb $deb_hash" "ohif $(sha256sum "$SRC/image/scripts/fetch-ohif.sh" | cut -c1-64)" \
  "trees $(tree_hash rootfs units image/scripts image/ohif-minify)" | sha256sum | cut -c1-64)

make_stage() {
  say "stage: OHIF"
  local ohif stage=$OUT/stage
  ohif=$("$SRC/image/scripts/fetch-ohif.sh" | tail -n 1)
  [[ -f $ohif/index.html ]] || die "fetch-ohif.sh gave no OHIF dist"
  rm -rf "$stage"
  mkdir -p "$stage"
  cp "$DEB" "$stage/radflare.deb"
  # A copy, not hard links: tests running beside this build hard-link the
  # same cached files (radflare layout-ohif), and a new link changes an
  # inode's ctime while tar reads it ("file changed as we read it": exit 1).
  cp -a "$ohif" "$stage/ohif-dist"
  cp -a "$SRC/rootfs" "$stage/rootfs"
  cp -a "$SRC/units" "$stage/units"
  cp -a "$SRC/image/scripts" "$stage/scripts"
  # The AMI's stage also carries the source (the tracked files), from which
  # 30-radflare.sh builds the package when the Debian-built one does not
  # install on the base (Ubuntu 24.04 has other library versions).
  if $WITH_SOURCE; then
    git -C "$SRC" ls-files -z | tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
      -C "$SRC" --null -T - -czf "$stage/radflare-src.tar.gz"
  fi
  # Sorted names, fixed owner and time, modes as in the tree.
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "$stage" -cf - . | gzip -1 -n >"$OUT/stage.tar.gz.new"
  mv "$OUT/stage.tar.gz.new" "$OUT/stage.tar.gz"
  rm -rf "$stage"
  say "stage: $OUT/stage.tar.gz ($(du -h "$OUT/stage.tar.gz" | cut -f1))"
}
if $STAGE_ONLY; then
  make_stage
  echo "$OUT/stage.tar.gz"
  exit 0
fi

# ---------------------------------------------------------------- 2. base
# The .deb's runtime dependencies go into the base too (names only).
mapfile -t deb_deps < <(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed -E 's/\(.*\)//; s/\|.*//; s/[[:space:]]//g' | grep -v '^$')
say "base: image/base-build.sh (cached; a fresh one takes ~3-15 min)"
"$SRC/image/base-build.sh" "$OUT/base" "${deb_deps[@]}"
base_hash=$(cat "$OUT/base/.inputs")

# ---------------------------------------------------------------- 3. image
packer_version=$(packer version | head -n 1)
# The key, one input a line (so a rebuild can say what changed).
key=$(printf '%s\n' "stage $stage_key" "base $base_hash" "packer ${packer_version#Packer }" \
        "template $(sha256sum "$SRC/image/radflare.pkr.hcl" | cut -c1-64)" \
        "build-local $(sha256sum "$SRC/image/build-local.sh" | cut -c1-64)")
if [[ -f $OUT/radflare.qcow2 && -f $OUT/vmlinuz && -f $OUT/initrd.img && -f $OUT/.inputs \
      && $(cat "$OUT/.inputs") == "$key" ]]; then
  say "image is up to date: $OUT/radflare.qcow2; Packer not run"
  exit 0
fi
if [[ -f $OUT/.inputs ]]; then
  say "image: inputs changed: $(diff <(cat "$OUT/.inputs") <(echo "$key") | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')"
fi
rm -f "$OUT/.inputs"
make_stage

# KVM only where it works: /dev/kvm exists and it is not a PVM-nested device.
accel=tcg
[[ -e /dev/kvm && ! -e /sys/module/kvm_pvm ]] && accel=kvm

work=$OUT/work
rm -rf "$work" "$OUT/packer-out"
mkdir -p "$work"
cleanup() { rm -rf "$work/build_key" "$work/build_key.pub" "$work/disk.raw"; }
trap cleanup EXIT

say "image: build disk with a fresh build-only ssh key"
cp --sparse=always "$OUT/base/base.raw" "$work/disk.raw"
ssh-keygen -q -t ed25519 -N '' -C "radflare-build-$(date +%s)" -f "$work/build_key"
debugfs -w -f - "$work/disk.raw" >"$work/debugfs.log" 2>&1 <<EOF
cd /home/admin/.ssh
write $work/build_key.pub authorized_keys
sif authorized_keys uid 1000
sif authorized_keys gid 1000
sif authorized_keys mode 0100600
EOF
debugfs -R "stat /home/admin/.ssh/authorized_keys" "$work/disk.raw" 2>/dev/null | grep -q 'Mode:  0600' \
  || { cat "$work/debugfs.log" >&2; die "could not write the build key into the build disk"; }

say "image: packer build -only=qemu.local (accelerator $accel; provisioning under TCG takes minutes)"
export PACKER_CACHE_DIR=$OUT/packer_cache CHECKPOINT_DISABLE=1
set +e
packer build -color=false -timestamp-ui -only=qemu.local \
  -var "version=$(dpkg-deb -f "$DEB" Version)" \
  -var "stage_tar=$OUT/stage.tar.gz" \
  -var "base_disk=$work/disk.raw" \
  -var "kernel=$OUT/base/vmlinuz" \
  -var "initrd=$OUT/base/initrd.img" \
  -var "ssh_key=$work/build_key" \
  -var "output_dir=$OUT/packer-out" \
  -var "console_log=$work/console.log" \
  -var "accelerator=$accel" \
  -var "manifest=$OUT/manifest.json" \
  "$SRC/image/radflare.pkr.hcl" 2>&1 | tee "$work/packer.log" >&2
rc=${PIPESTATUS[0]}
set -e
if ((rc != 0)); then
  say "packer failed (rc $rc); log: $work/packer.log, console: $work/console.log"
  exit 1
fi
for f in radflare.qcow2 vmlinuz initrd.img; do
  [[ -s $OUT/packer-out/$f ]] || die "packer produced no $f"
done
mv -f "$OUT/packer-out/radflare.qcow2" "$OUT/packer-out/vmlinuz" "$OUT/packer-out/initrd.img" "$OUT/"
rm -rf "$OUT/packer-out"
echo "$key" > "$OUT/.inputs"
say "image ready: $OUT/radflare.qcow2 ($(du -h "$OUT/radflare.qcow2" | cut -f1) on disk, $(qemu-img info --output=json "$OUT/radflare.qcow2" | jq -r '."virtual-size" / 1073741824 | floor') GiB virtual) + vmlinuz + initrd.img"
