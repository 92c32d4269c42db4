# Shared by the VM tier (vm_tier.sh) and `make demo-vm` (demo_vm.sh): the
# Packer-built local twin of the AMI (build/image/radflare.qcow2, make
# image-local) booted under qemu with its own kernel and systemd, as an
# instance boots on EC2. Source it from a script called as
# `SCRIPT RADFLARE_BINARY SOURCE_DIR` (it reads those two arguments). At
# source time it builds (or reuses) the image, makes a throwaway raw copy,
# scans it for secrets and writes a test-only ssh key for root into the COPY
# (never the image); then the script calls boot NAME, wait_booted NAME,
# wait_healthy NAME and powerdown NAME, and runs commands in the guest with vm.
# Env: BOOT_TIMEOUT (s, default 900), RF_KEEP=1 keeps the temp folder,
# RADFLARE_IMAGE_DIR (default SOURCE_DIR/build/image),
# RADFLARE_VM_IMAGE_AS_IS=1 boots the image there without (re)building it.
# shellcheck shell=bash disable=SC2016  # single-quoted commands run in the guest or a subshell

RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")
IMAGE_DIR=${RADFLARE_IMAGE_DIR:-$SRC/build/image}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
PY=/usr/bin/python3   # Debian's, with pydicom and numpy
ARTIFACTS=${ARTIFACTS_DIR:-$SRC/build/artifacts}

# shellcheck source=tests/lib/steps.sh
source "$SRC/tests/lib/steps.sh"
[[ $(id -u) == 0 ]] || fail "needs root"
for c in qemu-system-x86_64 qemu-img debugfs ssh ssh-keygen storescu jq curl cpack unshare; do
  command -v "$c" >/dev/null || fail "missing command $c (scripts/install-deps.sh)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/radflare-vm.XXXXXX")
mkdir -p "$T/log"
QEMU_PID=
cleanup() {
  local rc=$?
  if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
    qmp quit >/dev/null 2>&1 || kill -TERM "$QEMU_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$QEMU_PID" 2>/dev/null || true
  fi
  if [[ -n ${RF_KEEP:-} ]]; then echo "# RF_KEEP set: leaving $T" >&2; else rm -rf "$T"; fi
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One QMP command (JSON) on the monitor socket; prints the reply.
qmp() {  # EXECUTE
  "$PY" - "$T/qmp.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()                                   # greeting
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:                                # skip events until the reply
        r = json.loads(f.readline())
        if "return" in r or "error" in r: break
print(json.dumps(r))
EOF
}
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SSH_OPTS=(-i "$T/test_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          -o LogLevel=ERROR -o BatchMode=yes -o ConnectTimeout=10)
# A command in the guest as root (systemctl's D-Bus calls get 2 minutes: the
# default 25 s timed out under TCG on a busy host).
vm() { ssh "${SSH_OPTS[@]}" -p "$SSH_PORT" root@127.0.0.1 "export SYSTEMD_BUS_TIMEOUT=120; $*"; }
http_code() { curl -s -o /dev/null --max-time 30 -w '%{http_code}' "$@"; }
web() { curl -sS --fail-with-body --max-time 120 -u "admin:$ADMIN_PW" "$@"; }

# ------------------------------------------------------------------ image
if [[ ${RADFLARE_VM_IMAGE_AS_IS:-0} == 1 ]]; then   # developers: boot what is there
  [[ -f $IMAGE_DIR/radflare.qcow2 ]] || fail "no $IMAGE_DIR/radflare.qcow2 (make image-local)"
  ok "image as is (RADFLARE_VM_IMAGE_AS_IS=1): $IMAGE_DIR/radflare.qcow2"
else
debdir=$T/deb
(cd "$(dirname "$RADFLARE")" && cpack -G DEB -B "$debdir") >"$T/log/cpack.log" 2>&1 \
  || fail "cpack -G DEB" "$T/log/cpack.log"
DEB=$(find "$debdir" -maxdepth 1 -name 'radflare_*.deb' | head -n1)
RADFLARE_IMAGE_DIR=$IMAGE_DIR bash "$SRC/image/build-local.sh" --deb "$DEB" >"$T/log/build-local.log" 2>&1 \
  || fail "image/build-local.sh" "$T/log/build-local.log"
grep -q 'image is up to date' "$T/log/build-local.log" && how=cached || how=built
ok "image $how: $IMAGE_DIR/radflare.qcow2 ($(du -h "$IMAGE_DIR/radflare.qcow2" | cut -f1))"
fi

# ------------------------------------------- throwaway copy, scan, test key
qemu-img convert -O raw "$IMAGE_DIR/radflare.qcow2" "$T/disk.raw"
unshare --mount --propagation private bash -c '
  set -e; mkdir -p "$1/mnt"
  mount -o ro,loop,noload "$1/disk.raw" "$1/mnt"
  bash "$2/image/scripts/scan-secrets.sh" "$1/mnt"
  for f in etc/machine-id; do [ ! -s "$1/mnt/$f" ] || { echo "$f is not empty"; exit 1; }; done
  found=$(find "$1/mnt/root" "$1/mnt/home" -name "authorized_keys*" 2>/dev/null)
  [ -z "$found" ] || { echo "login keys left in the image: $found"; exit 1; }
  ls "$1"/mnt/etc/ssh/ssh_host_* >/dev/null 2>&1 && { echo "ssh host keys in the image"; exit 1; }
  umount "$1/mnt"' vm-scan "$T" "$SRC" >"$T/log/scan.log" 2>&1 \
  || fail "image scan of the Packer output" "$T/log/scan.log"
ok "image scan (Packer output): no private key, password, ssh host key, machine-id, login or build key"

ssh-keygen -q -t ed25519 -N '' -C radflare-vm-test -f "$T/test_key"
debugfs -w -f - "$T/disk.raw" >"$T/log/debugfs.log" 2>&1 <<EOF
mkdir /root/.ssh
sif /root/.ssh mode 040700
cd /root/.ssh
write $T/test_key.pub authorized_keys
sif authorized_keys uid 0
sif authorized_keys gid 0
sif authorized_keys mode 0100600
EOF
debugfs -R "stat /root/.ssh/authorized_keys" "$T/disk.raw" 2>/dev/null | grep -q 'Mode:  0600' \
  || fail "could not write the test key into the throwaway copy" "$T/log/debugfs.log"
ok "throwaway copy with a test-only ssh key for root"

# ------------------------------------------------------------------- boot
SSH_PORT=$(free_port) HTTP_PORT=$(free_port) DICOM_PORT=$(free_port) SEED_PORT=$(free_port) ORTHANC_PORT=$(free_port)
accel=tcg,thread=multi
[[ -e /dev/kvm && ! -e /sys/module/kvm_pvm ]] && accel=kvm
boot() {
  qemu-system-x86_64 -accel "$accel" -cpu max -m 2048 -smp 2 -display none \
    -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.mask=e2scrub_reap.service systemd.mask=apt-daily.timer systemd.mask=apt-daily-upgrade.timer" \
    -drive "file=$T/disk.raw,if=virtio,format=raw" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:80,hostfwd=tcp:127.0.0.1:$DICOM_PORT-:4242,hostfwd=tcp:127.0.0.1:$SEED_PORT-:8042,hostfwd=tcp:127.0.0.1:$ORTHANC_PORT-:8044" \
    -device virtio-net-pci,netdev=n0 \
    -serial "file:$T/log/console-$1.log" -monitor none -qmp "unix:$T/qmp.sock,server=on,wait=off" \
    </dev/null >>"$T/log/qemu.log" 2>&1 &
  QEMU_PID=$!
}
# Waits for ssh, then for the end of the boot; sets STATE.
wait_booted() {  # NAME
  local deadline=$((SECONDS + BOOT_TIMEOUT))
  until vm true 2>/dev/null; do
    kill -0 "$QEMU_PID" 2>/dev/null || fail "qemu exited during boot" "$T/log/qemu.log"
    ((SECONDS < deadline)) || fail "no ssh within $BOOT_TIMEOUT s" "$T/log/console-$1.log"
    sleep 3
  done
  STATE=$(timeout $((deadline - SECONDS > 10 ? deadline - SECONDS : 10)) \
    ssh "${SSH_OPTS[@]}" -p "$SSH_PORT" root@127.0.0.1 systemctl is-system-running --wait || true)
  if [[ $STATE != running ]]; then
    vm 'systemctl --failed --no-legend; journalctl -b --no-pager -n 80' >"$T/log/state.log" 2>&1 || true
    fail "$1: system is '$STATE', want running" "$T/log/state.log"
  fi
}
wait_healthy() {  # NAME
  local deadline=$((SECONDS + BOOT_TIMEOUT))
  until [[ $(http_code -u "admin:$ADMIN_PW" "http://127.0.0.1:$HTTP_PORT/dicom-web/studies") == 200 ]]; do
    ((SECONDS < deadline)) || fail "$1: QIDO through nginx did not answer 200" "$T/log/console-$1.log"
    sleep 2
  done
}
powerdown() {  # NAME
  local t=$SECONDS
  qmp system_powerdown >/dev/null || fail "QMP system_powerdown"
  for _ in $(seq 1200); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$QEMU_PID" 2>/dev/null && fail "$1: no power-off within 120 s of QMP system_powerdown" "$T/log/console-$1.log"
  wait "$QEMU_PID" 2>/dev/null || true
  QEMU_PID=
  POWEROFF=$((SECONDS - t))
}

