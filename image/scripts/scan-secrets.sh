#!/usr/bin/env bash
# Scan a system image for anything that must be unique to an instance or
# secret: private keys, password hashes, ssh host keys, machine-id content,
# build/login keys, shell history, Radflare's generated secrets and the files
# rendered from them, systemd's random seed and credential key.
#
#   scan-secrets.sh [ROOT]      (default /) -> one line per finding; exit 1 if any
#
# Used by 90-cleanup.sh at the end of provisioning and by the appliance tests
# on the built rootfs.
set -uo pipefail
ROOT=${1:-/}
ROOT=${ROOT%/}
found=0
finding() { echo "scan-secrets: FOUND $*"; found=1; }

# PEM/OpenSSH private keys anywhere in the image (not /proc, /sys, /dev,
# /run): a BEGIN line followed by key material. A file byte-identical to the
# one a distribution package ships (dpkg's md5sums) is public test data (e.g.
# certbot's test keys), not a secret: counted, not failed.
public_keys=0
while IFS= read -r -d '' f; do
  rel=${f#"$ROOT"/}
  want=$(grep -h -F "  $rel" "$ROOT"/var/lib/dpkg/info/*.md5sums 2>/dev/null | awk -v p="$rel" '$2 == p {print $1; exit}')
  if [[ -n $want && $(md5sum <"$f" | cut -c1-32) == "$want" ]]; then
    public_keys=$((public_keys + 1))
    continue
  fi
  finding "private key: /$rel"
done < <(find "$ROOT/" -xdev \( -path "$ROOT/proc" -o -path "$ROOT/sys" -o -path "$ROOT/dev" -o -path "$ROOT/run" \) -prune \
           -o -type f -size -1024k -print0 2>/dev/null \
         | xargs -0 -r grep -lIZ -e '-----BEGIN [A-Z ]*PRIVATE KEY-----' 2>/dev/null \
         | xargs -0 -r grep -lZ -Pz -e '-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n(Proc-Type:[^\n]*\n)?(DEK-Info:[^\n]*\n)?\r?\n?[A-Za-z0-9+/=]{32,}' 2>/dev/null)

for f in "$ROOT"/etc/ssh/ssh_host_*; do
  [[ -e $f ]] && finding "ssh host key: ${f#"$ROOT"}"
done

if [[ -s $ROOT/etc/machine-id ]] && [[ $(cat "$ROOT/etc/machine-id") != uninitialized ]]; then
  finding "machine-id has content: /etc/machine-id"
fi
if [[ -f $ROOT/var/lib/dbus/machine-id && ! -L $ROOT/var/lib/dbus/machine-id && -s $ROOT/var/lib/dbus/machine-id ]]; then
  finding "machine-id has content: /var/lib/dbus/machine-id"
fi

# Login keys (the build's key) and credentials in home folders.
for f in "$ROOT"/root/.ssh/authorized_keys* "$ROOT"/home/*/.ssh/authorized_keys* \
         "$ROOT"/root/.ssh/id_* "$ROOT"/home/*/.ssh/id_* "$ROOT"/etc/ssh/authorized_keys*; do
  [[ -s $f ]] && finding "login key: ${f#"$ROOT"}"
done
for f in "$ROOT"/root/.aws "$ROOT"/home/*/.aws "$ROOT"/root/.docker/config.json "$ROOT"/root/.netrc \
         "$ROOT"/root/.pgpass "$ROOT"/var/lib/postgresql/.pgpass; do
  [[ -e $f ]] && finding "credentials: ${f#"$ROOT"}"
done
for f in "$ROOT"/root/.*_history "$ROOT"/home/*/.*_history "$ROOT"/var/lib/postgresql/.*_history; do
  [[ -s $f ]] && finding "shell history: ${f#"$ROOT"}"
done

# Password hashes: every account must be locked (* or !...) or empty.
if [[ -f $ROOT/etc/shadow ]]; then
  while IFS=: read -r user hash _; do
    [[ -z $hash || $hash == '*'* || $hash == '!'* ]] && continue
    finding "password hash for account $user in /etc/shadow"
  done <"$ROOT/etc/shadow"
fi

# Radflare: secrets are made at first boot, never at build time.
if [[ -d $ROOT/var/lib/radflare/secrets ]] && [[ -n $(ls -A "$ROOT/var/lib/radflare/secrets") ]]; then
  finding "radflare secrets: /var/lib/radflare/secrets is not empty"
fi
for f in /etc/radflare/orthanc/credentials.json /etc/radflare/orthanc/postgresql.json \
         /etc/radflare/postgresql-bootstrap.sql /etc/nginx/radflare-users.conf \
         /etc/nginx/radflare-upstream-auth.conf /var/lib/radflare/firstboot.done; do
  [[ -e $ROOT$f ]] && finding "rendered at build time (first boot must make it): $f"
done

# Per-instance randomness and keys of systemd and cloud-init.
for f in /var/lib/systemd/random-seed /var/lib/systemd/credential.secret; do
  [[ -e $ROOT$f ]] && finding "per-instance state: $f"
done
if [[ -d $ROOT/var/lib/cloud/instances ]] && [[ -n $(ls -A "$ROOT/var/lib/cloud/instances") ]]; then
  finding "cloud-init instance data (user-data may hold secrets): /var/lib/cloud/instances"
fi

((found)) && exit 1
echo "scan-secrets: ${ROOT:-/} is clean (no private key, password hash, host key, machine-id, login key or secret; $public_keys public test keys shipped verbatim by packages)"
