#!/usr/bin/env bash
# Build the Debian 12 base disk of the local (qemu) twin of the AMI with
# mmdebstrap: no loop devices, no mounts, no bootloader (Packer and the tests
# boot it with -kernel/-initrd). It plays the part the official Debian 12 AMI
# plays on AWS: a cloud kernel, systemd, sshd, and an `admin` user with
# passwordless sudo, as Packer finds it on EC2.
#
#   usage: image/base-build.sh OUTDIR [PACKAGE...]
#   makes: OUTDIR/base.raw      sparse ext4 root filesystem (label "root"), no login key in it
#          OUTDIR/vmlinuz OUTDIR/initrd.img   for direct kernel boot
#          OUTDIR/.inputs       hash of everything the base depends on (cache key)
#
# Cached: when OUTDIR/.inputs matches the current inputs, nothing is rebuilt.
# The build-only ssh key is NOT part of the base: image/build-local.sh makes a
# new key for every image build and writes it into a copy of base.raw.
#
# Pre-installed besides what a Debian cloud AMI has: the distribution
# packages of image/scripts/10-packages.sh (read from that file) and any
# PACKAGE given (build-local.sh passes the .deb's runtime dependencies).
# Why: under TCG, dpkg is ~20x slower than in this chroot (measured: two
# Python packages took 6.5 min in the VM; the whole stack here takes ~2 min of
# CPU), which would put the Packer step far beyond 20 minutes. The Packer step
# still runs the very same provision.sh as the AMI; its `apt-get install` of
# installed packages is a no-op there. The apt lists are kept in the base so
# that apt inside the VM needs no full `apt-get update` (1m49s under TCG);
# 90-cleanup.sh removes them from the image.
#
# The base keeps the ssh host keys openssh-server made here, so that the build
# VM's sshd starts; 90-cleanup.sh removes them from the image, and each
# instance makes its own (units/radflare-ssh-hostkeys.service, or cloud-init).
# shellcheck disable=SC2016  # the hooks expand $1 in mmdebstrap's shell
set -euo pipefail

out=${1:?usage: base-build.sh OUTDIR [PACKAGE...]}
shift
mirror=${RADFLARE_MIRROR:-http://deb.debian.org/debian}
security_mirror=${RADFLARE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
disk_size=${RADFLARE_BASE_DISK:-8G}
here=$(cd "$(dirname "$0")" && pwd)
# Bump to force a fresh base (e.g. to pick up security updates).
RECIPE_VERSION=1

say() { echo "base-build: $*" >&2; }

BASE_PACKAGES=(
  systemd systemd-sysv systemd-resolved dbus libpam-systemd udev kmod
  linux-image-cloud-amd64 initramfs-tools
  openssh-server sudo iproute2 netbase procps ca-certificates curl less
)
# The packages step 10 installs, read from the step itself (one list).
# shellcheck disable=SC1090
stack=$(source <(sed -n '/^packages=(/,/^)/p' "$here/scripts/10-packages.sh"); echo "${packages[*]:-}")
[[ -n $stack ]] || { say "could not read the package list of $here/scripts/10-packages.sh"; exit 1; }
read -r -a stack_packages <<<"$stack"
packages=("${BASE_PACKAGES[@]}" "${stack_packages[@]}" "$@")

inputs=$( { echo "recipe $RECIPE_VERSION"; sha256sum "$here/base-build.sh" | cut -d' ' -f1
            echo "$mirror $security_mirror $disk_size"; printf '%s\n' "${packages[@]}" | sort -u; } \
          | sha256sum | cut -d' ' -f1)

if [[ -f $out/base.raw && -f $out/vmlinuz && -f $out/initrd.img && -f $out/.inputs \
      && $(cat "$out/.inputs") == "$inputs" ]]; then
  say "base is up to date ($out, inputs ${inputs:0:12})"
  exit 0
fi

for tool in mmdebstrap mkfs.ext4; do
  command -v $tool >/dev/null || { say "$tool is missing (run scripts/install-deps.sh)"; exit 1; }
done
[[ $(id -u) == 0 ]] || { say "must run as root (mmdebstrap --mode=root)"; exit 1; }

mkdir -p "$out"
rm -f "$out/.inputs"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

say "mmdebstrap bookworm (${#packages[@]} packages) ..."
start=$SECONDS
# The customize hook runs on the finished tree ($1). It sets up what the
# Debian cloud AMI has: DHCP on the first NIC, resolved, the admin user with
# passwordless sudo (cloud-init makes it there). force-unsafe-io and eatmydata
# only speed up this build; their settings do not stay in the tree.
mmdebstrap --variant=minbase --mode=root --components=main \
  --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata --dpkgopt=force-unsafe-io \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --customize-hook='
    set -e
    echo radflare > "$1/etc/hostname"
    printf "127.0.0.1 localhost\n127.0.1.1 radflare\n::1 localhost ip6-localhost ip6-loopback\n" > "$1/etc/hosts"
    echo "LABEL=root / ext4 defaults,noatime 0 1" > "$1/etc/fstab"
    mkdir -p "$1/etc/systemd/network"
    printf "[Match]\nName=eth* en*\n\n[Network]\nDHCP=yes\n" > "$1/etc/systemd/network/80-dhcp.network"
    chroot "$1" systemctl enable systemd-networkd.service systemd-resolved.service ssh.service >/dev/null 2>&1
    ln -sf ../run/systemd/resolve/stub-resolv.conf "$1/etc/resolv.conf"
    chroot "$1" useradd --create-home --shell /bin/bash --groups sudo admin
    echo "admin ALL=(ALL) NOPASSWD:ALL" > "$1/etc/sudoers.d/90-admin"
    chmod 0440 "$1/etc/sudoers.d/90-admin"
    install -d -m 0700 -o 1000 -g 1000 "$1/home/admin/.ssh"
    # No bootloader: serial console for logs, no getty waiting on tty1.
    chroot "$1" systemctl mask getty@tty1.service >/dev/null 2>&1
    : > "$1/etc/machine-id"
    cp "$1"/boot/vmlinuz-* "$1/../vmlinuz"
    cp "$1"/boot/initrd.img-* "$1/../initrd.img"
  ' \
  --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/etc/dpkg/dpkg.cfg.d/99mmdebstrap "$1"/etc/apt/apt.conf.d/99mmdebstrap' \
  bookworm "$root" \
  "deb $mirror bookworm main" \
  "deb $mirror bookworm-updates main" \
  "deb $security_mirror bookworm-security main" \
  >"$work/mmdebstrap.log" 2>&1 &
mm=$!
# Progress: mmdebstrap's phase lines as they come.
tail -n +1 -f --pid=$mm "$work/mmdebstrap.log" 2>/dev/null \
  | grep --line-buffered -E '^I: (running|installing|downloading|extracting|creating)' | sed -u 's/^/  /' >&2 &
if ! wait $mm || [[ ! -f $work/vmlinuz || ! -x $root/usr/sbin/sshd ]]; then
  tail -n 30 "$work/mmdebstrap.log" >&2
  say "mmdebstrap failed (log above)"; exit 1
fi
say "rootfs ready in $((SECONDS - start)) s ($(du -sh "$root" | cut -f1))"

# The sources.list the image keeps (mmdebstrap writes what it was given).
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
EOF

start=$SECONDS
truncate -s 0 "$work/base.raw"
mkfs.ext4 -q -F -L root -d "$root" "$work/base.raw" "$disk_size"
say "ext4 image written in $((SECONDS - start)) s ($disk_size virtual, $(du -h "$work/base.raw" | cut -f1) used)"

mv "$work/base.raw" "$work/vmlinuz" "$work/initrd.img" "$out/"
echo "$inputs" > "$out/.inputs"
say "base ready: $out/base.raw"
