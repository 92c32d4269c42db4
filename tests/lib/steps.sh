# The test scripts' step reporting (sourced by tests/appliance/lib.sh and
# tests/vm/lib.sh): "ok - STEP (N s)" per step, "not ok - WHY" plus the last
# 60 lines of a log, then exit 1.
# shellcheck shell=bash
START=$SECONDS
stage_start=$SECONDS
ok() { echo "ok - $* ($((SECONDS - stage_start)) s)"; stage_start=$SECONDS; }
fail() {  # WHY [LOG]
  echo "not ok - $1"
  if [[ -n ${2:-} && -f $2 ]]; then
    echo "--- last 60 lines of $2"
    tail -n 60 "$2" | sed 's/^/    /'
  fi
  exit 1
}
