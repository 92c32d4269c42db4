#!/usr/bin/env bash
# Build the provisioned Radflare root filesystem (Debian 12) for the nspawn
# test tier: mmdebstrap + the same image/scripts/provision.sh that Packer
# runs, in two cached layers under build/cache/rootfs/:
#
#   base-KEY/   mmdebstrap minbase + systemd + step 10 (distribution packages)
#               + the .deb's runtime dependencies. KEY: the recipe below,
#               provision.sh, 10-packages.sh, the .deb's Depends field.
#   image-KEY/  a copy of base + steps 20 (OHIF), 30 (.deb), 40 (overlay,
#               units), 90 (clean-up + secret scan). KEY: base KEY, every
#               script, units/, rootfs/, the .deb's contents, the OHIF pin.
#
# A rerun with unchanged inputs finds image-KEY and takes a second; a changed
# .deb or unit rebuilds only the image layer (~1 min); a changed package list
# rebuilds both (~4-6 min on 2 cores).
#
#   image/rootfs-build.sh --deb FILE [--cache DIR]   -> prints the rootfs dir last
#
# Needs root, mmdebstrap, and Debian's mirror (same sources as the host).
# shellcheck disable=SC2016  # hooks and inner scripts expand $1 later, on purpose
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
DEB=
CACHE=${RADFLARE_CACHE:-$SRC/build/cache}
while (($#)); do
  case $1 in
    --deb) DEB=$(realpath "$2"); shift 2 ;;
    --cache) CACHE=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: $0 --deb FILE [--cache DIR]" >&2; exit 2 ;;
  esac
done
[[ -f $DEB ]] || { echo "rootfs-build: --deb FILE is required (make deb)" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "rootfs-build: must run as root" >&2; exit 1; }

T0=$SECONDS
say() { echo "rootfs-build: $* ($((SECONDS - T0)) s)" >&2; }
LAYERS=$CACHE/rootfs
mkdir -p "$LAYERS"
# One build at a time per cache (parallel test runs wait here).
exec 9>"$LAYERS/.lock"
flock 9

# ------------------------------------------------------------------ recipe
# Bump RECIPE_VERSION to force a fresh base (e.g. to pick up security updates).
RECIPE_VERSION=2
SUITE=bookworm
MIRRORS=(
  "deb http://deb.debian.org/debian $SUITE main"
  "deb http://deb.debian.org/debian $SUITE-updates main"
  "deb http://deb.debian.org/debian-security $SUITE-security main"
)
INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,iproute2,procps,ca-certificates,less
# Test-image boot speed: nothing periodic that a throwaway container needs.
MASK=(e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer)

deb_depends=$(dpkg-deb -f "$DEB" Depends)
# The .deb's contents (not its timestamps): the same binary gives the same key.
deb_content=$( { dpkg-deb -f "$DEB" Package Version Depends; dpkg-deb --fsys-tarfile "$DEB" | tar -xO; } | sha256sum | cut -c1-64)

hash_files() {  # contents and modes of the files under the given paths
  (cd "$SRC" && find "$@" -type f -printf '%m %p\n' | sort && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -c1-16
}
base_key=$( { echo "$RECIPE_VERSION $SUITE ${MIRRORS[*]} $INCLUDE ${MASK[*]} $deb_depends"
              hash_files image/scripts/provision.sh image/scripts/10-packages.sh; } | sha256sum | cut -c1-16)
image_key=$( { echo "$base_key $deb_content"
               hash_files image/scripts image/ohif-minify units rootfs; } | sha256sum | cut -c1-16)
BASE=$LAYERS/base-$base_key
IMAGE=$LAYERS/image-$image_key

# Remove a tree that may still have mounts in it (never cross into them).
remove_tree() {
  local d=$1
  [[ -e $d ]] || return 0
  if findmnt -rn -o TARGET | grep -q "^$d\(/\|$\)"; then
    echo "rootfs-build: $d still has mounts; not removing it" >&2
    return 1
  fi
  rm -rf --one-file-system "$d"
}

# Run a command chrooted in ROOT with /proc, /sys, /dev mounted in a private
# mount namespace (the mounts vanish with it, whatever happens), the stage
# bind-mounted read-only at /tmp/radflare-stage and, if OHIF_DIST is set, the
# cached OHIF dist bound read-only at its ohif-dist/ (nothing copied twice).
in_root() {  # ROOT STAGE CMD...
  local root=$1 stage=$2; shift 2
  mkdir -p "$root/tmp/radflare-stage"
  unshare --mount --propagation private env OHIF_DIST="${OHIF_DIST:-}" bash -euc '
    root=$1 stage=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
    mount --bind "$stage" "$root/tmp/radflare-stage"
    mount -o remount,bind,ro "$root/tmp/radflare-stage"
    if [[ -n $OHIF_DIST ]]; then
      mount --bind "$OHIF_DIST" "$root/tmp/radflare-stage/ohif-dist"
      mount -o remount,bind,ro "$root/tmp/radflare-stage/ohif-dist"
    fi
    # No daemon may start from a package script while we provision.
    printf "#!/bin/sh\nexit 101\n" >"$root/usr/sbin/policy-rc.d"; chmod 0755 "$root/usr/sbin/policy-rc.d"
    rc=0
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      RADFLARE_STAGE=/tmp/radflare-stage "$@" || rc=$?
    rm -f "$root/usr/sbin/policy-rc.d"
    exit $rc
  ' in_root "$root" "$stage" "$@"
  rmdir "$root/tmp/radflare-stage" 2>/dev/null || true
}

# Keep only the newest layer of each kind besides the one in use.
prune() {  # PREFIX KEEP
  local d
  for d in "$LAYERS/$1"-*; do
    [[ $d == *.complete && ! -d ${d%.complete} ]] && { rm -f "$d"; continue; }
    [[ -d $d && $d != "$2" && $d != *.partial ]] || continue
    say "pruning old layer $(basename "$d")"
    rm -f "$d.complete"
    remove_tree "$d" || true
  done
}

# --------------------------------------------------------------- the image
if [[ -f $IMAGE.complete && -d $IMAGE ]]; then
  say "image layer $(basename "$IMAGE") is cached"
  echo "$IMAGE"
  exit 0
fi

# Inputs of the stage (the folder provision.sh reads).
STAGE=$(mktemp -d "$LAYERS/.stage.XXXXXX")
trap 'rm -rf --one-file-system "$STAGE"' EXIT
mkdir -p "$STAGE/scripts"
cp -a "$SRC"/image/scripts/. "$STAGE/scripts/"
cp -a "$SRC/rootfs" "$SRC/units" "$STAGE/"
cp "$DEB" "$STAGE/radflare.deb"

# ----------------------------------------------------------------- base
if [[ -f $BASE.complete && -d $BASE ]]; then
  say "base layer $(basename "$BASE") is cached"
else
  say "building base layer $(basename "$BASE") with mmdebstrap (Debian $SUITE) ..."
  remove_tree "$BASE.partial"
  # Runtime libraries of the .deb go into the base: the image layer then
  # installs the .deb without the network.
  deps=$(sed -E 's/\([^)]*\)//g; s/[[:space:]]//g; s/\|[^,]*//g' <<<"$deb_depends")
  mmdebstrap --variant=minbase --mode=root --components=main --include="$INCLUDE" \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --customize-hook="mkdir -p \"\$1/tmp/radflare-stage\" && cp -a $STAGE/scripts \"\$1/tmp/radflare-stage/\"" \
    --customize-hook='chroot "$1" env RADFLARE_STAGE=/tmp/radflare-stage bash /tmp/radflare-stage/scripts/provision.sh 10-packages' \
    --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${deps//,/ } >/dev/null" \
    --customize-hook="chroot \"\$1\" systemctl mask --quiet ${MASK[*]}" \
    --customize-hook='echo radflare >"$1/etc/hostname"' \
    --customize-hook='printf "127.0.0.1\tlocalhost\n127.0.1.1\tradflare\n::1\t\tlocalhost ip6-localhost ip6-loopback\n" >"$1/etc/hosts"' \
    --customize-hook='rm -f "$1/etc/resolv.conf"' \
    --customize-hook='rm -rf "$1/tmp/radflare-stage"' \
    "$SUITE" "$BASE.partial" "${MIRRORS[@]}" 2>&1 | sed -u 's/^/  mmdebstrap: /' >&2
  [[ ${PIPESTATUS[0]} == 0 ]] || { say "mmdebstrap failed"; exit 1; }
  mv "$BASE.partial" "$BASE" && touch "$BASE.complete"
  say "base layer ready ($(du -sh "$BASE" | cut -f1))"
fi

# ---------------------------------------------------------------- image
say "building image layer $(basename "$IMAGE") from the base ..."
remove_tree "$IMAGE.partial"
rm -f "$IMAGE.complete"
cp -a "$BASE" "$IMAGE.partial"
say "copied the base"
OHIF_DIST=$(bash "$SRC/image/scripts/fetch-ohif.sh" | tail -n1)
mkdir "$STAGE/ohif-dist"
OHIF_DIST=$OHIF_DIST in_root "$IMAGE.partial" "$STAGE" \
  bash /tmp/radflare-stage/scripts/provision.sh 20-ohif 30-radflare 40-rootfs 90-cleanup >&2
remove_tree "$IMAGE" 2>/dev/null || true
mv "$IMAGE.partial" "$IMAGE" && touch "$IMAGE.complete"
say "image layer ready: $IMAGE ($(du -sh "$IMAGE" | cut -f1))"
prune image "$IMAGE"
prune base "$BASE"
echo "$IMAGE"
