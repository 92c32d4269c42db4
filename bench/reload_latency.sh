#!/usr/bin/env bash
# Reload latency of the supervisor on real systemd (nspawn tier): how long
# `systemctl reload radflare` takes, run on the appliance itself as an operator
# would, when nothing changed, when only an OHIF setting changed (a file, no
# restart) and when a CORS origin changed (nginx -t + reload). Beside them, the
# same reload job for a unit whose reload is /bin/true: what any reload costs.
# Bounded: ROUNDS rounds, the kinds alternating. Prints a markdown table.
#
# A part of bench/appliance.sh, which boots the container and calls
# reload_latency_table; alone: sudo bash bench/appliance.sh build/radflare . reload

# COPY ROUNDS: the table for the booted container COPY (lib.sh sourced).
reload_latency_table() {
  local c=$1 rounds=$2 samples
  in_ct "$c" systemd-run --quiet --unit=rf-bench-noop -p ExecReload=/bin/true sleep infinity
  # One shell inside the container times every sample: entering the
  # container's namespaces per sample would be timed too.
  samples=$(in_ct "$c" bash -s "$rounds" <<'INNER'
set -eu
ms() { local t0; t0=$(date +%s%N); "$@" >/dev/null; echo $((($(date +%s%N) - t0) / 1000000)); }
toml=/etc/radflare.toml
for i in $(seq "$1"); do
  echo "isactive $(ms systemctl is-active radflare.service)"
  echo "noopunit $(ms systemctl reload rf-bench-noop.service)"
  echo "noop $(ms systemctl reload radflare.service)"
  sed -i "s/^max_web_workers = [0-9]*/max_web_workers = $((3 + i % 2))/" "$toml"
  echo "ohif $(ms systemctl reload radflare.service)"
  if ((i % 2)); then o='["https://a.example.com"]'; else o='[]'; fi
  sed -i "s#^cors_origins = .*#cors_origins = $o#" "$toml"
  echo "cors $(ms systemctl reload radflare.service)"
done
# What the supervisor itself spent (its journal: "reload no change in N ms").
journalctl -u radflare.service --no-pager -o cat |
  sed -n 's/^info: reload no change in \([0-9]*\) ms$/inside \1/p'
INNER
  )
  in_ct "$c" systemctl stop rf-bench-noop.service
  stats() {  # KIND -> "min median max" of its samples
    awk -v k="$1" '$1 == k {print $2}' <<<"$samples" | sort -n |
      awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)], a[NR]}'
  }
  local lo med hi umed nmed name goal
  read -r _ umed _ <<<"$(stats noopunit)"
  echo "| reload, run on the appliance ($rounds rounds) | median ms | min–max ms | minus the /bin/true unit's reload | goal |"
  echo "|---|---|---|---|---|"
  for k in noop ohif cors noopunit isactive inside; do
    read -r lo med hi <<<"$(stats "$k")"
    goal=""
    case $k in
      noop) name="no-op (nothing changed)"; nmed=$med
            goal=$( ((med <= 100)) && echo "≤ 100 ms: met" || echo "≤ 100 ms: **not met**") ;;
      ohif) name="one OHIF setting (a file, no restart)" ;;
      cors) name="one CORS origin (nginx -t + graceful reload)" ;;
      noopunit) name="baseline: \`systemctl reload\` of a unit whose reload is /bin/true" ;;
      isactive) name="baseline: \`systemctl is-active\` (one D-Bus round trip)" ;;
      inside) name="the supervisor's own no-op reload (its journal)" ;;
    esac
    case $k in noopunit|isactive|inside) echo "| $name | $med | $lo–$hi | – | |" ;;
               *) echo "| $name | $med | $lo–$hi | $((med - umed)) | $goal |" ;; esac
  done
  echo
  echo "No-op reload: $nmed ms end to end, of which systemd's own reload job (the /bin/true unit) is $umed ms."
}

