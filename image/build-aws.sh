#!/usr/bin/env bash
# make image: the AMI (amazon-ebs source of image/radflare.pkr.hcl), built on
# EC2 with the same staging tar and provision.sh as the local twin.
#
#   image/build-aws.sh --deb FILE [-var region=eu-west-1] [-var base=debian] ...
#
# Extra -var arguments go to Packer (region, instance_type, subnet_id,
# volume_size, kms_key_id, base = ubuntu | debian, ami_users).
# Needs: AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
# or an instance role), the AWS CLI (IMDSv2 settings, see the template), and
# Packer: Debian's 1.6.6 works as is; with Packer >= 1.7 this script copies the
# template beside image/plugins.pkr.hcl.current and runs `packer init` first.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${RADFLARE_IMAGE_DIR:-$SRC/build/image}
DEB=
vars=()
while (($#)); do
  case $1 in
    --deb) DEB=$(realpath "$2"); shift 2 ;;
    -var) vars+=(-var "$2"); shift 2 ;;
    -var=*) vars+=("$1"); shift ;;
    *) echo "usage: $0 --deb FILE [-var NAME=VALUE]..." >&2; exit 2 ;;
  esac
done
say() { echo "image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ -f $DEB ]] || die "--deb FILE is required (make deb)"
command -v packer >/dev/null || die "packer is not installed (scripts/install-deps.sh installs Debian's 1.6.6)"
command -v aws >/dev/null || die "make image builds the AMI on AWS: it needs the AWS CLI (apt-get install awscli;
  the build uses it for IMDSv2 and to check the credentials) and AWS credentials
  (AWS_PROFILE, or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or an instance role).
  The local twin needs neither: make image-local"
if ! ident=$(aws sts get-caller-identity --output text --query Arn 2>&1); then
  die "no usable AWS credentials ($ident).
  Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN),
  or run on an EC2 instance with a role; then: make image
  The local twin needs none of this: make image-local"
fi
say "AWS identity: $ident"

stage=$("$SRC/image/build-local.sh" --deb "$DEB" --stage-only --with-source | tail -n 1)

template=$SRC/image/radflare.pkr.hcl
ver=$(packer version | sed -n '1s/^Packer v//p')
if [[ $(printf '%s\n' "$ver" 1.7.0 | sort -V | head -n1) == 1.7.0 ]]; then
  # Current Packer: the builders are plugins, declared in a file 1.6.6 never reads.
  template=$OUT/aws
  mkdir -p "$template"
  cp "$SRC/image/radflare.pkr.hcl" "$template/"
  cp "$SRC/image/plugins.pkr.hcl.current" "$template/plugins.pkr.hcl"
  say "Packer $ver: packer init (amazon and qemu plugins)"
  packer init "$template"
fi

cd "$SRC"
say "packer build -only=amazon-ebs.aws (Packer $ver)"
packer build -color=false -timestamp-ui -only=amazon-ebs.aws \
  -var "version=$(dpkg-deb -f "$DEB" Version)" -var "stage_tar=$stage" \
  -var "manifest=$OUT/manifest.json" "${vars[@]}" "$template"
say "done: $(jq -r '.builds[-1].artifact_id' "$OUT/manifest.json")"
