#!/usr/bin/env bash
# `datapath replay` end to end (process start to exit) on the embedded seed lab's worker1:
#   gw0:     2 M TCP data frames (118 bytes) round-robin over 1,000 connections in on antrea-gw0 -> GENEVE
#   service: the same from the frontend pod to backendsvc -> antrea-gw0 -> kube-proxy's DNAT -> GENEVE
# each with the flow cache on 1 and on 2 workers, and with --no-cache, and once more with the CLI published
# ReadyToRun (precompiled: less JIT at start-up). Prints one line per run with elapsed_s and frames_per_s
# from `replay --json`, and the wall time of the whole process. Usage: scripts/bench-replay.sh [FRAMES] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-2000000}
connections=${2:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build -c Release src/Cli -v q -nologo >/dev/null
dotnet build -c Release bench/Datapath.Benchmarks -v q -nologo >/dev/null
bench=bench/Datapath.Benchmarks/bin/Release/net10.0/Datapath.Benchmarks
datapath=src/Cli/bin/Release/net10.0/datapath
dotnet publish -c Release src/Cli -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/r2r" -v q -nologo >/dev/null
for kind in gw0 service; do
  "$bench" --write-replay-workload "$kind" "$frames" "$connections" "$work/$kind.pcap"
done
run() { # kind in-port extra...
  local kind=$1 port=$2; shift 2
  local start end json
  # Start each run with the page cache written back: the workload's and the previous run's pcaps
  # (hundreds of MB) would otherwise be flushed to disk during this run and measured with it.
  rm -rf "$work/out-$kind"
  sync
  start=$(date +%s.%N)
  json=$("${DATAPATH_BIN:-$datapath}" replay --node worker1 --in-port "$port" "$work/$kind.pcap" --out "$work/out-$kind" --json "$@")
  end=$(date +%s.%N)
  python3 - "$kind" "${LABEL:-$*}" "$start" "$end" "$json" <<'PY'
import json, sys
kind, extra, start, end, doc = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), json.loads(sys.argv[5])
wall = end - start
print(f"{kind:8} {extra or 'cache':12} frames_in={doc['frames_in']} elapsed_s={doc['elapsed_s']:.3f} frames_per_s={doc['frames_per_s']:,.0f} "
      f"process_wall_s={wall:.3f} process_frames_per_s={doc['frames_in']/wall:,.0f} hit_rate={doc['flow_cache']['hit_rate']} "
      f"parallel={doc['workers']['parallel_frames']} hazards={doc['workers']['order_hazards']} "
      f"outputs={doc['outputs']} drops={doc['drops']} balanced={doc['balanced']}")
PY
}
run gw0 antrea-gw0 >/dev/null   # warm-up, not reported: the first replay after writing the workloads runs up to 2x slower
run gw0 antrea-gw0
run gw0 antrea-gw0 --workers 2
run gw0 antrea-gw0 --no-cache
run service frontend-a3ba2f
run service frontend-a3ba2f --workers 2
run service frontend-a3ba2f --no-cache
DATAPATH_BIN="$work/r2r/datapath" LABEL=readytorun run gw0 antrea-gw0
