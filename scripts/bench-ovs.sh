#!/usr/bin/env bash
# Open vSwitch's own micro-benchmarks against ours, side by side in one run:
#   ovstest test-classifier benchmark ARGS   vs  datapath bench classifier --ovstest ARGS
#   ovstest test-conntrack benchmark ARGS    vs  datapath bench conntrack --ovstest ARGS
# Builds ovstest first (scripts/build-ovstest.sh; cached after the first time) and the CLI.
# Each case runs ROUNDS times, OVS and ours alternating, and the best run of each side counts
# (the machine is shared: the best run is the one least disturbed). Prints one line per case with
# both figures and the ratio ours/OVS (above 1: we are faster), and checks that the classifier's
# hit and miss counts agree.
#
#   scripts/bench-ovs.sh                       # the default cases, ROUNDS=5
#   ROUNDS=9 scripts/bench-ovs.sh
#   CLASSIFIER_CASES="1000 10 20 1 1000000" CONNTRACK_CASES="1 1000000 32" scripts/bench-ovs.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-5}"
IFS=';' read -r -a classifier_cases <<<"${CLASSIFIER_CASES:-1000 10 20 1 1000000;100 10 10 1 1000000}"
IFS=';' read -r -a conntrack_cases <<<"${CONNTRACK_CASES:-1 1000000 32;1 1000000 32 1}"

ovstest="$(scripts/build-ovstest.sh)"
if [ -z "${DATAPATH:-}" ]; then
  dotnet build -c Release src/Cli -v quiet -nologo >/dev/null
  DATAPATH=src/Cli/bin/Release/net10.0/datapath
fi

echo "bench-ovs: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-ovs: ovstest $ovstest ($(cat "$(dirname "$ovstest")/VERSION" 2>/dev/null || echo 'version unknown')), datapath $DATAPATH; best of $rounds alternating rounds"
printf '%-44s %-10s %18s %18s %8s\n' "case" "variant" "OVS" "datapath" "ratio"

# The n-th (1 = without wildcards, 2 = with) "hits: H, misses: M" and lookups/sec of a test-classifier output.
hits() { grep '^hits:' <<<"$1" | sed -n "${2}p" | sed 's/^hits: //'; }
rate() { grep 'lookups/sec' <<<"$1" | sed -n "${2}p" | sed 's/.* ms, \([0-9]*\) lookups\/sec/\1/'; }
ms() { sed -n 's/^conntrack: *\([0-9]*\) ms$/\1/p' <<<"$1"; }
max() { if [ "$1" -ge "$2" ]; then echo "$1"; else echo "$2"; fi; }
min() { if [ "$1" -le "$2" ]; then echo "$1"; else echo "$2"; fi; }

status=0
for c in "${classifier_cases[@]}"; do
  best_ovs=(0 0); best_ours=(0 0); ovs_hits=(); our_hits=()
  for _ in $(seq "$rounds"); do
    # shellcheck disable=SC2086 # the case is a list of numbers
    o="$("$ovstest" test-classifier benchmark $c)"
    # shellcheck disable=SC2086
    d="$("$DATAPATH" bench classifier --ovstest $c)"
    for v in 1 2; do
      best_ovs[v-1]=$(max "${best_ovs[v-1]}" "$(rate "$o" "$v")")
      best_ours[v-1]=$(max "${best_ours[v-1]}" "$(rate "$d" "$v")")
      ovs_hits[v-1]="$(hits "$o" "$v")"; our_hits[v-1]="$(hits "$d" "$v")"
    done
  done
  for v in 1 2; do
    name=$([ "$v" = 1 ] && echo "exact" || echo "wildcards")
    ratio=$(awk -v a="${best_ours[v-1]}" -v b="${best_ovs[v-1]}" 'BEGIN { printf "%.2fx", a / b }')
    printf '%-44s %-10s %13s lk/s %13s lk/s %8s\n' "classifier $c" "$name" "${best_ovs[v-1]}" "${best_ours[v-1]}" "$ratio"
    if [ "${ovs_hits[v-1]}" != "${our_hits[v-1]}" ]; then
      echo "bench-ovs: classifier $c $name: OVS counted '${ovs_hits[v-1]}', we counted '${our_hits[v-1]}'" >&2
      status=1
    fi
  done
done

for c in "${conntrack_cases[@]}"; do
  best_ovs=999999999; best_ours=999999999
  for _ in $(seq "$rounds"); do
    # shellcheck disable=SC2086
    best_ovs=$(min "$best_ovs" "$(ms "$("$ovstest" test-conntrack benchmark $c)")")
    # shellcheck disable=SC2086
    best_ours=$(min "$best_ours" "$(ms "$("$DATAPATH" bench conntrack --ovstest $c)")")
  done
  read -r threads packets batch _ <<<"$c"
  total=$(( (packets + batch - 1) / batch * batch * threads ))
  line=$(awk -v o="$best_ovs" -v d="$best_ours" -v n="$total" 'BEGIN {
    od = o > 0 ? o : 1; dd = d > 0 ? d : 1
    printf "%7d ms %5.1f M/s %7d ms %5.1f M/s %7.2fx", o, n / od / 1000, d, n / dd / 1000, od / dd }')
  read -r oms _ orate _ dms _ drate _ ratio <<<"$line"
  printf '%-44s %-10s %18s %18s %8s\n' "conntrack $c" "packets" "$oms ms ($orate M/s)" "$dms ms ($drate M/s)" "$ratio"
done
exit "$status"
