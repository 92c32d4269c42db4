#!/usr/bin/env bash
# Provision a Radflare appliance: run the numbered steps of this folder in
# order, as root, INSIDE the target system (a chroot or the Packer VM).
#
#   RADFLARE_STAGE=/tmp/radflare-stage bash provision.sh [STEP...]
#
# STEP is a step's name without ".sh" (e.g. 10-packages); none = all of them.
# The stage folder holds the inputs, prepared on the build host:
#   radflare.deb   the supervisor package (make deb)
#   ohif-dist/     the OHIF dist as served: npm's, scripts minified (fetch-ohif.sh; integrity checked there)
#   rootfs/        the repository's rootfs/ overlay
#   units/         the repository's units/
# Every step is idempotent and prints what it does; the first failure stops.
set -euo pipefail

export RADFLARE_STAGE=${RADFLARE_STAGE:-/tmp/radflare-stage}
here=$(cd "$(dirname "$0")" && pwd)
[[ $(id -u) == 0 ]] || { echo "provision: must run as root" >&2; exit 1; }

steps=("$@")
if ((${#steps[@]} == 0)); then
  for f in "$here"/[0-9][0-9]-*.sh; do steps+=("$(basename "$f" .sh)"); done
fi

start=$SECONDS
for step in "${steps[@]}"; do
  [[ -f $here/$step.sh ]] || { echo "provision: no step $step in $here" >&2; exit 2; }
  t=$SECONDS
  echo "provision: == $step"
  bash "$here/$step.sh"
  echo "provision: == $step done ($((SECONDS - t)) s)"
done
echo "provision: all steps done ($((SECONDS - start)) s)"
