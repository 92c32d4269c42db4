#!/usr/bin/env bash
# `make bench`: the appliance against the seed's configuration and against
# direct Orthanc, side by side on this machine, from the same generated data.
#
#   bash bench/bench.sh RADFLARE_BINARY SOURCE_DIR
#
#   (a) direct  Orthanc as the appliance renders it, its own HTTP port, the
#               internal credential, no proxy: the limit a proxy can reach
#   (b) seed    tests/seed/orthanc.json + the seed's PostgreSQL settings (index
#               AND files in PostgreSQL, SSL) + its nginx site, verbatim but for
#               ports and paths; its admin user as RegisteredUsers
#   (c) radflare  `radflare render` of rootfs/etc/radflare.toml (ports, paths and
#               names changed), nginx with edge authentication in front
# One PostgreSQL cluster (the appliance's rendered settings), one database and
# one Orthanc process per configuration; runs alternate a,b,c,a,b,c.
#
# BENCH_RUNS (3)      runs per scenario and configuration (medians need >= 3)
# BENCH_ONLY          space-separated scenarios to run (default: all, see SCENARIOS)
# BENCH_OUT (SOURCE_DIR/bench/results/DATE.md, or DATE-b.md ... if taken)  where the table is written
# BENCH_TUNE          a script run as `SCRIPT ROOT` on (a)'s and (c)'s rendered
#                     trees before anything starts: a hand-tuning experiment (its
#                     "## " lines go into the table's header), see bench/tuning/
# RF_KEEP=1           keep the temporary folder (logs, raw results)
# BENCH_HOLD=1        after the scenarios, keep the stack running (tuning by hand;
#                     ports and credentials in TMP/stack.env) until killed
set -euo pipefail

RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")
[[ $(id -u) == 0 ]] || { echo "bench: run as root (sudo make bench)" >&2; exit 1; }
# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
rf_enter_namespace "$0" "$RADFLARE" "$SRC"
rf_init
T=$RF_TMP
PY=/usr/bin/python3   # Debian's, with pydicom and numpy
BENCH=$SRC/bench
RUNS=${BENCH_RUNS:-3}
SCENARIOS="stow1 stow4 cstore1 cstore4 qido wado frames ohif"
ONLY=${BENCH_ONLY:-$SCENARIOS}
START=$SECONDS
say() { echo "bench: $* ($((SECONDS - START)) s)" >&2; }

# shellcheck source=bench/stack.sh
source "$BENCH/stack.sh"
# shellcheck source=bench/scenarios.sh
source "$BENCH/scenarios.sh"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
start_stack
say "stack up: (a) direct :${HTTP[a]}, (b) seed nginx :${WEB[b]} -> Orthanc :${HTTP[b]}, (c) radflare nginx :${WEB[c]} -> Orthanc :${HTTP[c]}"
wait_data
load_reference_data
say "reference data loaded into all three (CT 100 x 512x512 + $SMALL small studies)"

for s in $ONLY; do
  [[ " $SCENARIOS " == *" $s "* ]] || rf_fail "unknown scenario $s (known: $SCENARIOS)"
  "scenario_$s"
  say "scenario $s done"
done

meta duration_s $((SECONDS - START))
meta load "$LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
date=$(date -u +%Y-%m-%d)
out=${BENCH_OUT:-$BENCH/results/$date.md}
# A second run on the same day gets its own file (DATE-b.md, DATE-c.md, ...).
if [[ -z ${BENCH_OUT:-} ]]; then
  for suffix in b c d e f g h i j k l m n o p q r s t u v w x y z; do
    [[ -e $out ]] || break
    out=$BENCH/results/$date-$suffix.md
  done
fi
mkdir -p "$(dirname "$out")"
$PY "$BENCH/report.py" "$T/results.tsv" "$T/meta.tsv" | tee "$out"
say "table written to $out"
# For tuning by hand: keep the stack up, after the table is safe (stopping the
# hold ends the script with the kill's status).
if [[ -n ${BENCH_HOLD:-} ]]; then
  declare -p URL AUTH HTTP DICOM AET CONF OPID REF_STUDY REF_SERIES >"$T/stack.env"
  say "holding the stack (state in $T/stack.env); kill $$ to stop"
  sleep infinity & wait $!
fi
