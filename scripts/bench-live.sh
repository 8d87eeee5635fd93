#!/usr/bin/env bash
# Live I/O benchmark (issue 8 item 6). Needs root. Run from the repo root:
#   sudo scripts/bench-live.sh            # all parts
#   PARTS="kernel ports" scripts/bench-live.sh
#
# Topology (made here, removed on exit even on failure):
#   ns dpb-a (10.99.0.1/24) --veth-- [ switch ] --veth-- ns dpb-b (10.99.0.2/24)
#   the switch side ends dpbA-s / dpbB-s live in ns dpb-sw, so nothing touches the host's links.
#
# Part "kernel":   switch = the Linux kernel bridge (the baseline): iperf3 TCP throughput, ping RTT.
# Part "datapath": switch = our datapath on the same veth ends.   <<< THE LEAD ENABLES THIS PART >>>
# Part "ports":    raw port rx/tx of 64-byte UDP frames through one veth pair (BenchmarkDotNet,
#                  bench/Datapath.Benchmarks/Io/Live/LivePortBenchmarks.cs), target >= 300 k frames/s.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${PARTS:-"kernel datapath ports"}
SECONDS_IPERF=${SECONDS_IPERF:-5}

need=()
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
ls /usr/lib/*/libpcap.so.0.8 >/dev/null 2>&1 || need+=(libpcap0.8)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || { apt-get update -qq; apt-get install -y -qq "${need[@]}" >/dev/null; }
fi
[ "$(id -u)" -eq 0 ] || { echo "bench-live.sh needs root (network namespaces, veth pairs)" >&2; exit 2; }

cleanup() {
  for ns in dpb-a dpb-b dpb-sw; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del $ns 2>/dev/null || true; done
  ip link del dpbenchA 2>/dev/null || true
}
trap cleanup EXIT
cleanup

topology() {
  ip netns add dpb-a; ip netns add dpb-b; ip netns add dpb-sw
  for x in A B; do
    ns=dpb-$(echo $x | tr AB ab)
    ip link add dpb$x-s netns dpb-sw type veth peer name eth0 netns $ns
    ip -n $ns link set lo up
    ip -n $ns link set eth0 up
    ip -n dpb-sw link set dpb$x-s up
  done
  ip -n dpb-a addr add 10.99.0.1/24 dev eth0
  ip -n dpb-b addr add 10.99.0.2/24 dev eth0
}

measure() { # $1 = label
  ip netns exec dpb-b iperf3 -s -D -1 >/dev/null
  sleep 0.3
  local gbps rtt
  gbps=$(ip netns exec dpb-a iperf3 -c 10.99.0.2 -t "$SECONDS_IPERF" -J | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
  rtt=$(ip netns exec dpb-a ping -q -c 50 -i 0.02 10.99.0.2 | awk -F'/' '/^rtt/ {print $5}')
  printf '%-10s TCP %6s Gbit/s   ping avg %s ms\n' "$1" "$gbps" "$rtt"
  eval "RESULT_${1//-/_}_GBPS=$gbps; RESULT_${1//-/_}_RTT=$rtt"
}

echo "# live I/O benchmark, $(date -u +%F), $(nproc) cores, $(uname -r)"

if [[ " $PARTS " == *" kernel "* ]]; then
  topology
  ip -n dpb-sw link add br0 type bridge
  ip -n dpb-sw link set dpbA-s master br0
  ip -n dpb-sw link set dpbB-s master br0
  ip -n dpb-sw link set br0 up
  measure kernel
  cleanup
fi

if [[ " $PARTS " == *" datapath "* ]]; then
  # ---------------------------------------------------------------------------------------------
  # SECOND HALF — for the lead to enable once `datapath run` bridges ports (issue 8 item 2).
  # Set DATAPATH_LAB to a lab file whose two ports are the raw interfaces dpbA-s and dpbB-s
  # (AF_PACKET backend) joined by a normal L2 pipeline, e.g. flows "priority=0,actions=NORMAL" or
  # "in_port=1,actions=output:2" + "in_port=2,actions=output:1"; the datapath runs inside dpb-sw.
  # ---------------------------------------------------------------------------------------------
  DATAPATH_LAB=${DATAPATH_LAB:-scripts/bench-live.lab.yaml}
  if [ -n "${DATAPATH_LAB:-}" ]; then
    command -v ethtool >/dev/null 2>&1 || apt-get install -y -qq ethtool >/dev/null 2>&1 || true
    topology
    # AF_PACKET ports take frames up to 2048 bytes: let the namespaces' stacks segment (no TSO/GSO).
    for ns in dpb-a dpb-b; do ip netns exec $ns ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1 || true; done
    dotnet build -c Release src/Cli >/dev/null
    rm -f /tmp/dpbench.sock
    ip netns exec dpb-sw dotnet src/Cli/bin/Release/net10.0/datapath.dll run "$DATAPATH_LAB" >/tmp/dpbench.log 2>&1 &
    DP_PID=$!
    for _ in $(seq 1 300); do [ -S /tmp/dpbench.sock ] && break; sleep 0.2; done
    [ -S /tmp/dpbench.sock ] || { echo "datapath did not start:"; cat /tmp/dpbench.log; exit 1; }
    measure datapath
    dotnet src/Cli/bin/Release/net10.0/datapath.dll ctl /tmp/dpbench.sock dump-ports | sed 's/^/  /'
    kill -TERM $DP_PID; wait $DP_PID || true   # TERM: a background job of a script ignores SIGINT
    cleanup
    python3 - "$RESULT_kernel_GBPS" "$RESULT_datapath_GBPS" "$RESULT_kernel_RTT" "$RESULT_datapath_RTT" <<'PY'
import sys
kg, dg, kr, dr = map(float, sys.argv[1:])
print(f"ratio      TCP datapath/kernel {dg/kg:.2f}   RTT datapath/kernel {dr/kr:.2f}")
PY
  else
    echo "datapath   skipped: set DATAPATH_LAB=LAB.yaml once 'datapath run' exists (see this script)"
  fi
fi

if [[ " $PARTS " == *" ports "* ]]; then
  out=$(mktemp -d)
  dotnet run -c Release --project bench/Datapath.Benchmarks -- --filter '*LivePortBenchmarks*' --job short --inProcess \
    --artifacts "$out" >"$out/run.log" 2>&1 || { tail -30 "$out/run.log"; exit 1; }
  report=$(ls "$out"/results/*LivePortBenchmarks-report-github.md)
  cat "$report"
  python3 - "$report" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    cells = [c.strip().strip('*') for c in line.strip().strip('|').split('|')]
    if len(cells) > 3 and cells[0] in ("Send64", "SendReceive64"):
        mean = next(c for c in cells if re.search(r'\d (ns|μs|us|ms)$', c))
        v, unit = mean.replace(',', '').split()
        ns = float(v) * {"ns": 1, "μs": 1e3, "us": 1e3, "ms": 1e6}[unit]
        print(f"{cells[0]:<14} {cells[1]:<9} {64e9/ns/1e3:8.0f} k frames/s (64 frames per op, {mean} per op)")
PY
  mkdir -p bench/results
  cp "$report" bench/results/live-ports.md
fi
