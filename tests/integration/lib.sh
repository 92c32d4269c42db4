# Shared helpers for the host integration tests and benchmarks: real Orthanc,
# PostgreSQL and nginx started by hand (no systemd), everything under one
# temporary folder, everything killed by one trap. Source it, then call
# rf_init once.  Requires root (services run as their Debian users).
#
#   rf_enter_namespace SCRIPT ARGS...  re-run SCRIPT in a private mount namespace
#   rf_init                      -> $RF_TMP (0755), trap that cleans up
#   rf_free_port                 -> a free loopback TCP port
#   rf_render TOML ROOT          radflare check + render ($RADFLARE) into ROOT
#   rf_layout_ohif TOML ROOT SRC fetch OHIF, lay it out under ROOT
#   rf_overlay_root ROOT / rf_overlay_umount   ROOT's etc, var/lib over /etc, /var/lib
#   rf_nginx_conf                -> $RF_TMP/nginx.conf including the rendered site
#   rf_pg_start DATA PORT [CONF_DIR]   initdb (unless DATA holds a cluster) + pg_ctl
#   rf_psql PORT DB ARGS...      psql as postgres over the unix socket
#   rf_orthanc_start CONFIG_DIR LOG_DIR
#   rf_nginx_start CONF
#   rf_wait_url URL TRIES [CURL_ARGS...]   until the server answers at all
#   rf_ok MSG / rf_fail MSG [LOG]          TAP-like lines; rf_fail exits
#   rf_toml_set TOML SETTINGS    TOML with "section key value" lines set (stdout)
#   rf_nginx_conf_site NAME SITE -> $RF_TMP/NAME-nginx.conf: rf_nginx_conf's, other site
#   rf_seed_site SRC PORT ORTHANC_PORT OHIF_DIR  the seed's nginx site, ports/paths only (stdout)
# RF_PG_STOP_MODE: how the trap stops clusters (immediate; the demo keeps its
# cluster, so it asks for fast).
# shellcheck shell=bash

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
RF_PIDS=()          # processes to stop, in order
RF_PG_DATA=()       # clusters to stop with pg_ctl

rf_ok() { echo "ok - $*"; }

# Everything after this runs in a private mount namespace: the overlays vanish
# with it, so the host's /etc and /var/lib never change. Call first thing.
rf_enter_namespace() {
  [[ -n ${RF_IN_NAMESPACE:-} ]] && return 0
  exec env RF_IN_NAMESPACE=1 unshare --mount --propagation private bash "$@"
}

# Print the failure, the tail of the relevant log, and stop (the trap cleans).
rf_fail() {
  echo "not ok - $1"
  if [[ -n ${2:-} && -f $2 ]]; then
    echo "--- last 50 lines of $2"
    tail -n 50 "$2" | sed 's/^/    /'
  fi
  exit 1
}

rf_init() {
  RF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/radflare-it.XXXXXX")
  chmod 0755 "$RF_TMP"   # services run as orthanc/postgres/www-data
  mkdir -p "$RF_TMP/log"
  trap rf_cleanup EXIT
  trap 'exit 130' INT TERM
}

rf_cleanup() {
  local rc=$? pid d
  for ((i = ${#RF_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${RF_PIDS[i]}
    kill "$pid" 2>/dev/null || continue
    # Give it 10 s to exit cleanly, then force.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for d in "${RF_PG_DATA[@]}"; do
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d" -m "${RF_PG_STOP_MODE:-immediate}" -w stop >/dev/null 2>&1 || true
  done
  if [[ -n ${RF_KEEP:-} ]]; then
    echo "# RF_KEEP set: leaving $RF_TMP" >&2
  else
    [[ -n ${RF_TMP:-} ]] && rm -rf "$RF_TMP"
  fi
  return "$rc"
}

# A loopback port nobody listens on now, never the same one twice per run.
# Callers use $(rf_free_port), a subshell: the ports handed out are kept in a
# file: a variable set there is lost, and the check against repeats never worked.
rf_free_port() {
  local p used=${RF_TMP:?rf_init first}/used-ports
  while :; do
    p=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    grep -qsx "$p" "$used" || break
  done
  echo "$p" >>"$used"
  echo "$p"
}

# Show a rendered tree at the real paths: a writable overlay (upper layer in
# $RF_TMP) over /etc and /var/lib, ROOT's files on top. Only inside
# rf_enter_namespace.
rf_overlay_root() {
  local root=$1 d name
  for d in /etc /var/lib; do
    name=$(basename "$root")-${d//\//_}
    mkdir -p "$RF_TMP/ovl/$name/upper" "$RF_TMP/ovl/$name/work" "$root$d"
    mount -t overlay overlay \
      -o "lowerdir=$root$d:$d,upperdir=$RF_TMP/ovl/$name/upper,workdir=$RF_TMP/ovl/$name/work" "$d" \
      || rf_fail "overlay mount of $root$d over $d"
  done
}
rf_overlay_umount() { umount -l /etc; umount -l /var/lib; }

rf_render() {  # TOML ROOT, with $RADFLARE
  "$RADFLARE" check --config "$1" >"$RF_TMP/log/check.log" 2>&1 \
    || rf_fail "radflare check rejects $1" "$RF_TMP/log/check.log"
  "$RADFLARE" render --config "$1" --root "$2" >"$RF_TMP/log/render.log" 2>&1 \
    || rf_fail "radflare render" "$RF_TMP/log/render.log"
}

# The pinned prebuilt OHIF (cached under SRC/build/cache), laid out under ROOT
# the way the image does it.
rf_layout_ohif() {  # TOML ROOT SRC, with $RADFLARE
  local dist
  dist=$(bash "$3/image/scripts/fetch-ohif.sh" 2>"$RF_TMP/log/fetch-ohif.log" | tail -n1) \
    || rf_fail "fetch-ohif.sh" "$RF_TMP/log/fetch-ohif.log"
  "$RADFLARE" layout-ohif --config "$1" --from "$dist" --to "$2/var/lib/radflare/www/ohif" \
    >"$RF_TMP/log/layout-ohif.log" 2>&1 || rf_fail "radflare layout-ohif" "$RF_TMP/log/layout-ohif.log"
}

# Stand-in for Debian's nginx.conf: same user and mime types, logs and temp
# files in $RF_TMP, and the rendered site (from the overlaid /etc).
rf_nginx_conf() {
  local t=$RF_TMP
  mkdir -p "$t/nginx" && chown www-data: "$t/nginx"
  cat >"$t/nginx.conf" <<EOF
user www-data;
worker_processes 2;
pid $t/nginx.pid;
error_log $t/log/nginx-error.log info;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  access_log $t/log/nginx-access.log;
  client_body_temp_path $t/nginx/body;
  proxy_temp_path $t/nginx/proxy;
  fastcgi_temp_path $t/nginx/fastcgi;
  uwsgi_temp_path $t/nginx/uwsgi;
  scgi_temp_path $t/nginx/scgi;
  include /etc/nginx/conf.d/radflare.conf;
}
EOF
}

# A cluster like Debian's: peer auth on the socket, passwords over TCP (so
# the rendered role password is really exercised). Settings from CONF_DIR
# (the rendered conf.d) are included; the command line wins for port and
# socket so it never touches the host's 5432. A DATA that already holds a
# cluster (the demo's state) is started as it is.
rf_pg_start() {
  local data=$1 port=$2 confdir=${3:-}
  mkdir -p "$data" && chown postgres: "$data"
  if [[ ! -f $data/PG_VERSION ]]; then
    runuser -u postgres -- "$PG_BIN/initdb" -D "$data" -A peer --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$RF_TMP/log/initdb.log" 2>&1 \
      || rf_fail "initdb $data" "$RF_TMP/log/initdb.log"
    [[ -n $confdir ]] && echo "include_dir '$confdir'" >>"$data/postgresql.conf"
  fi
  RF_PG_DATA+=("$data")
  install -o postgres -m 0644 /dev/null "$RF_TMP/log/postgresql.log"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$RF_TMP/log/postgresql.log" -w -t 60 \
    -o "-c port=$port -c unix_socket_directories=$data" start \
    >/dev/null || rf_fail "PostgreSQL did not start" "$RF_TMP/log/postgresql.log"
}

# psql as the postgres superuser through the cluster's socket (in its data dir).
rf_psql() {
  local port=$1 db=$2; shift 2
  local data
  for data in "${RF_PG_DATA[@]}"; do :; done   # the last cluster started
  runuser -u postgres -- "$PG_BIN/psql" -X -q -h "$data" -p "$port" -d "$db" \
    -v ON_ERROR_STOP=1 "$@"
}

# Orthanc on a config folder, as the orthanc user, like Debian's unit does.
rf_orthanc_start() {
  local confdir=$1 logdir=$2
  mkdir -p "$logdir" && chown orthanc: "$logdir"
  runuser -u orthanc -- /usr/sbin/Orthanc --logdir="$logdir" "$confdir/" \
    >"$logdir/stdout.log" 2>&1 &
  RF_PIDS+=($!)
  RF_ORTHANC_PID=$!
}

rf_orthanc_stop() {
  kill "$RF_ORTHANC_PID" 2>/dev/null || return 0
  for _ in $(seq 200); do kill -0 "$RF_ORTHANC_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$RF_ORTHANC_PID" 2>/dev/null || true
}

# Newest Orthanc log file in a --logdir folder (Orthanc names them by date).
rf_orthanc_log() {
  local f newest=$1/stdout.log
  for f in "$1"/Orthanc.log.*; do [[ -f $f && $f -nt $newest ]] && newest=$f; done
  echo "$newest"
}

# nginx in the foreground of a background job (so $! is the master).
rf_nginx_start() {
  local conf=$1
  nginx -t -c "$conf" >"$RF_TMP/log/nginx-t.log" 2>&1 \
    || rf_fail "nginx -t rejects the configuration" "$RF_TMP/log/nginx-t.log"
  nginx -c "$conf" -g 'daemon off;' >>"$RF_TMP/log/nginx-stdout.log" 2>&1 &
  RF_PIDS+=($!)
}

# Wait until URL answers with any HTTP status (bounded: TRIES × 0.5 s).
# With RF_WAIT_PID set, give up as soon as that process has died.
rf_wait_url() {
  local url=$1 tries=$2; shift 2
  local code
  for _ in $(seq "$tries"); do
    [[ -n ${RF_WAIT_PID:-} ]] && ! kill -0 "$RF_WAIT_PID" 2>/dev/null && return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" || true)
    [[ $code != 000 ]] && return 0
    sleep 0.5
  done
  return 1
}

# A TOML file with some keys set: SETTINGS holds one "section key value" line
# per key (value as TOML: quote strings); a key present in the file is
# replaced, a missing one is added under its section header (which must
# exist). Everything else is kept as written.
rf_toml_set() {  # TOML SETTINGS
  awk -v set="$2" '
    BEGIN { n = split(set, lines, "\n"); for (i = 1; i <= n; i++) {
      if (lines[i] == "") continue
      split(lines[i], f, " "); v = substr(lines[i], length(f[1] f[2]) + 3)
      val[f[1], f[2]] = v; keys[f[1]] = keys[f[1]] f[2] " " } }
    /^\[/ { sec = $0; gsub(/[][ ]/, "", sec); print
            m = split(keys[sec], k, " "); for (i = 1; i <= m; i++) print k[i] " = " val[sec, k[i]]
            next }
    { key = $1; sub(/=.*/, "", key) }
    (sec, key) in val { next }
    { print }' "$1"
}

# A second nginx (own pid file) with rf_nginx_conf's http block around
# another site file: $RF_TMP/NAME-nginx.conf.
rf_nginx_conf_site() {  # NAME SITE
  [[ -f $RF_TMP/nginx.conf ]] || rf_nginx_conf
  sed -e "s#include /etc/nginx/conf.d/radflare.conf;#include $2;#" \
      -e "s#pid $RF_TMP/nginx.pid;#pid $RF_TMP/$1-nginx.pid;#" "$RF_TMP/nginx.conf" >"$RF_TMP/$1-nginx.conf"
}

# The seed's nginx site (tests/seed/nginx-ohif.conf) with only its port, its
# Orthanc's port and its OHIF folder substituted.
rf_seed_site() {  # SRC PORT ORTHANC_PORT OHIF_DIR
  sed -e "s/listen 80 default_server;/listen 127.0.0.1:$2;/" \
      -e "s#127.0.0.1:8042#127.0.0.1:$3#" \
      -e "s#/opt/ohif-nginx/html/ohif/#${4%/}/#" "$1/tests/seed/nginx-ohif.conf"
}
