#!/usr/bin/env bash
# Installs everything the build and the tests need, from Debian's packages
# (and npm for the browser test driver). Idempotent: a second run installs
# nothing. Runs as root (CI does); prints what it does.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config dbus
  libsystemd-dev libpq-dev libcpp-httplib-dev libspdlog-dev libtomlplusplus-dev
  doctest-dev nlohmann-json3-dev libssl-dev zlib1g-dev
  # the stack the appliance runs (host integration tests run the real thing)
  orthanc orthanc-dicomweb orthanc-postgresql orthanc-python orthanc-gdcm
  postgresql nginx python3-requests
  # test clients and data
  dcmtk libgdcm-tools python3-pydicom python3-numpy curl jq ca-certificates chromium
  # the status page tier: its JSON Schema and Prometheus text checks
  python3-jsonschema python3-prometheus-client
  # benchmarks (make bench)
  wrk
  # the appliance's rootfs (mmdebstrap) booted with systemd (systemd-nspawn)
  mmdebstrap systemd-container iproute2 util-linux
  # HTTPS without the internet: Let's Encrypt's test CA, and the ACME client the image runs
  pebble certbot
  # the image: Packer (Debian's 1.6.6, qemu + amazon builders built in), qemu
  # under TCG for the local twin and the VM tier, debugfs for the build key
  packer qemu-system-x86 qemu-utils e2fsprogs openssh-client
)
command -v node >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (run as root): ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "install-deps: done"
