#!/usr/bin/env bash
# Step 10: the distribution's packages the appliance runs. Same names on
# Debian 12 and Ubuntu 24.04 (universe); no version-pinned paths.
set -euo pipefail
say() { echo "10-packages: $*"; }
export DEBIAN_FRONTEND=noninteractive

packages=(
  orthanc orthanc-dicomweb orthanc-postgresql orthanc-python orthanc-gdcm
  postgresql nginx certbot python3-requests
  ca-certificates ssl-cert
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  say "all ${#packages[@]} packages already installed"
  exit 0
fi

# Ubuntu: the Orthanc packages live in universe.
if grep -qs '^ID=ubuntu' /etc/os-release && command -v add-apt-repository >/dev/null; then
  add-apt-repository -y universe >/dev/null
fi

# On a fresh Ubuntu cloud instance unattended-upgrades may hold the dpkg
# lock for minutes after boot: wait for it instead of failing.
APT_WAIT=(-o DPkg::Lock::Timeout=600)
say "apt-get update"
apt-get "${APT_WAIT[@]}" update -qq
say "installing ${missing[*]}"
# confold: keep configuration files that are already on disk.
apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/tmp/radflare-apt.log 2>&1 \
  || { tail -n 40 /tmp/radflare-apt.log; exit 1; }
rm -f /tmp/radflare-apt.log
for p in orthanc postgresql nginx certbot; do
  say "$p $(dpkg-query -W -f='${Version}' "$p")"
done
