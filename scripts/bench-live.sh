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
# Part "datapath": switch = our datapath on the same veth ends.
# Part "ovs":      switch = Open vSwitch 3.1 (Debian's openvswitch-switch) in userspace: a datapath_type=netdev
#                  bridge on the same veth ends (ports of type system: AF_PACKET sockets), the same two rules
#                  as our lab file; ovsdb-server and ovs-vswitchd run inside dpb-sw from a private directory
#                  (no kernel module, no system service); iperf3 TCP, ping RTT and 64-byte UDP frames/s with the
#                  udp64 part's generator (OVS not pinned). Then the TCP and RTT ratios datapath/OVS.
# Part "ports":    raw port rx/tx of 64-byte UDP frames through one veth pair (BenchmarkDotNet,
#                  bench/Datapath.Benchmarks/Io/Live/LivePortBenchmarks.cs), target >= 300 k frames/s.
# Part "udp64":    64-byte UDP frames end to end through one `datapath run` pinned to one core
#                  (taskset -c $DP_CPU): a generator in ns dpb-a (netsniff-ng's trafgen, else python with a
#                  TPACKET_V2 transmit ring; pinned to $GEN_CPU) floods dpb-a's eth0 for $SECONDS_UDP s; frames/s = growth of
#                  dpb-b eth0's rx_packets / wall time; also the datapath's CPU time per frame
#                  (/proc/PID/stat utime+stime), which the machine's load does not inflate. Once per
#                  receive ring (RINGS="v2 v3 none"; none = recvmmsg/sendmmsg), each with a ping RTT through the same daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${PARTS:-"kernel datapath ovs ports udp64"}
SECONDS_UDP=${SECONDS_UDP:-10}
DP_CPU=${DP_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
RINGS=${RINGS:-"v2 v3 none"}
SECONDS_IPERF=${SECONDS_IPERF:-5}
IPERF_STREAMS=${IPERF_STREAMS:-1}   # iperf3 -P: parallel TCP connections (spread over the workers by the kernel's flow hash)
DP_WORKERS=${DP_WORKERS:-1}   # `datapath run --workers`: receive threads per port (AF_PACKET fanout sockets)

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
  gbps=$(ip netns exec dpb-a iperf3 -c 10.99.0.2 -t "$SECONDS_IPERF" -P "$IPERF_STREAMS" -J | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
  rtt=$(ip netns exec dpb-a ping -q -c 50 -i 0.02 10.99.0.2 | awk -F'/' '/^rtt/ {print $5}')
  printf '%-10s TCP %6s Gbit/s   ping avg %s ms\n' "$1" "$gbps" "$rtt"
  eval "RESULT_${1//-/_}_GBPS=$gbps; RESULT_${1//-/_}_RTT=$rtt"
}

# generate SECONDS: floods dpb-a's eth0 with the 64-byte UDP frame from $GEN_CPU and prints how many it sent —
# with netsniff-ng's trafgen (C, a TX ring; about 1.6 M frames/s on one core here) when it can be installed, else
# with the python TX-ring generator below (about 0.75 M frames/s, the ceiling of our datapath's figures before).
generate() {
  if command -v trafgen >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq netsniff-ng >/dev/null 2>&1 && command -v trafgen >/dev/null 2>&1; }; then
    cat >/tmp/dpbench-tg.cfg <<'TG'
{ 0x02,0x00,0x00,0x00,0x00,0x99, 0x02,0x00,0x5e,0x10,0x00,0x01, 0x08,0x00,
  0x45,0x00,0x00,0x2e, 0x00,0x00,0x00,0x00, 0x40,0x11, csumip(14, 33), 0x0a,0x63,0x00,0x01, 0x0a,0x63,0x00,0x02,
  0x13,0x88,0x27,0x0f, 0x00,0x1a,0x00,0x00, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 }
TG
    timeout -s INT "$1" ip netns exec dpb-a taskset -c "$GEN_CPU" trafgen --dev eth0 --conf /tmp/dpbench-tg.cfg --cpus 1 -q 2>&1 \
      | tr '\r' '\n' | awk '/packets outgoing/ {print $1}' || true   # timeout's INT ends trafgen: status 124, not a failure
  else
    write_generator
    ip netns exec dpb-a taskset -c "$GEN_CPU" python3 /tmp/dpbench-gen.py eth0 "$1"
  fi
}

write_generator() { # the python 64-byte UDP generator (generate's fallback)
  cat >/tmp/dpbench-gen.py <<'PY'
# 64-byte UDP flood through a TPACKET_V2 transmit ring: the ring's slots are filled once, then only
# their status words are set to SEND_REQUEST and one send() hands a batch to the kernel.
import mmap, socket, struct, sys, time
ifname, seconds = sys.argv[1], float(sys.argv[2])
SOL_PACKET, PACKET_VERSION, PACKET_TX_RING, PACKET_QDISC_BYPASS, TPACKET_V2 = 263, 10, 13, 20, 1
FS, BS, NB = 128, 4096, 128
N = BS // FS * NB
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
s.setsockopt(SOL_PACKET, PACKET_TX_RING, struct.pack("IIII", BS, NB, FS, N))
m = mmap.mmap(s.fileno(), BS * NB, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
s.bind((ifname, 0))
# 02:00:00:00:00:99 is nobody's MAC: the far namespace counts the frame (rx_packets) and drops it at once.
frame = bytes.fromhex("020000000099" "02005e100001" "0800"
                      "4500002e00000000401100000a6300010a630002" "1388270f001a0000") + bytes(18)
ip = bytearray(frame[14:34]); c = sum(struct.unpack("!10H", ip)); c = (c & 0xffff) + (c >> 16); c = (c & 0xffff) + (c >> 16)
frame = frame[:24] + struct.pack("!H", ~c & 0xffff) + frame[26:]
for i in range(N):
    m[i * FS + 32:i * FS + 32 + len(frame)] = frame
    struct.pack_into("I", m, i * FS + 4, len(frame))
sent, i, end = 0, 0, time.time() + seconds
while time.time() < end:
    for _ in range(256):
        off = i * FS
        if m[off] != 0:
            break
        m[off] = 1
        i = i + 1 if i + 1 < N else 0
        sent += 1
    try:
        s.send(b"", socket.MSG_DONTWAIT)
    except OSError:
        pass
print(sent)
PY
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
  # Set DATAPATH_LAB to a lab file whose two ports are the raw interfaces dpbA-s and dpbB-s
  # (AF_PACKET backend) joined by a normal L2 pipeline, e.g. flows "priority=0,actions=NORMAL" or
  # "in_port=1,actions=output:2" + "in_port=2,actions=output:1"; the datapath runs inside dpb-sw.
  # ---------------------------------------------------------------------------------------------
  DATAPATH_LAB=${DATAPATH_LAB:-scripts/bench-live.lab.yaml}
  if [ -n "${DATAPATH_LAB:-}" ]; then
    command -v ethtool >/dev/null 2>&1 || apt-get install -y -qq ethtool >/dev/null 2>&1 || true
    topology
    # AF_PACKET ports take frames up to 2048 bytes: let the namespaces' stacks segment (no TSO/GSO).
    # The same offloads as the "ovs" part, so the two compare like for like: no TX checksum offload (OVS needs it off).
    for ns in dpb-a dpb-b; do ip netns exec $ns ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true; done
    dotnet build -c Release src/Cli >/dev/null
    rm -f /tmp/dpbench.sock
    ip netns exec dpb-sw dotnet src/Cli/bin/Release/net10.0/datapath.dll run "$DATAPATH_LAB" --workers "$DP_WORKERS" >/tmp/dpbench.log 2>&1 &
    DP_PID=$!
    for _ in $(seq 1 300); do [ -S /tmp/dpbench.sock ] && break; sleep 0.2; done
    [ -S /tmp/dpbench.sock ] || { echo "datapath did not start:"; cat /tmp/dpbench.log; exit 1; }
    measure datapath
    dotnet src/Cli/bin/Release/net10.0/datapath.dll ctl /tmp/dpbench.sock dump-ports | sed 's/^/  /'
    kill -TERM $DP_PID; wait $DP_PID || true   # TERM: a background job of a script ignores SIGINT
    cleanup
    if [ -n "${RESULT_kernel_GBPS:-}" ]; then  # the ratio needs the "kernel" part of the same run
      python3 - "$RESULT_kernel_GBPS" "$RESULT_datapath_GBPS" "$RESULT_kernel_RTT" "$RESULT_datapath_RTT" <<'PY'
import sys
kg, dg, kr, dr = map(float, sys.argv[1:])
print(f"ratio      TCP datapath/kernel {dg/kg:.2f}   RTT datapath/kernel {dr/kr:.2f}")
PY
    fi
  else
    echo "datapath   skipped: set DATAPATH_LAB=LAB.yaml once 'datapath run' exists (see this script)"
  fi
fi

if [[ " $PARTS " == *" ovs "* ]]; then
  command -v ovs-vswitchd >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq openvswitch-switch >/dev/null 2>&1 || { apt-get update -qq; apt-get install -y -qq openvswitch-switch >/dev/null; }; }
  command -v ethtool >/dev/null 2>&1 || apt-get install -y -qq ethtool >/dev/null 2>&1 || true
  topology
  # As for our datapath, no TSO/GSO/GRO; and no TX checksum offload: the netdev datapath sends what its AF_PACKET
  # sockets read without completing a partial checksum, so TCP would never connect (ping does, ICMP is summed in full).
  for ns in dpb-a dpb-b; do ip netns exec $ns ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true; done
  OVS_DIR=$(mktemp -d)
  export OVS_RUNDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR
  ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ip netns exec dpb-sw ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/ovsdb.ctl" \
    --pidfile="$OVS_DIR/ovsdb.pid" --log-file="$OVS_DIR/ovsdb.log" --detach --no-chdir 2>/dev/null
  ovs-vsctl --db="unix:$OVS_DIR/db.sock" --no-wait init
  ip netns exec dpb-sw ovs-vswitchd "unix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/vswitchd.ctl" \
    --pidfile="$OVS_DIR/vswitchd.pid" --log-file="$OVS_DIR/vswitchd.log" --detach --no-chdir 2>/dev/null
  ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 add-br br0 -- set bridge br0 datapath_type=netdev \
    -- add-port br0 dpbA-s -- set interface dpbA-s ofport_request=1 \
    -- add-port br0 dpbB-s -- set interface dpbB-s ofport_request=2
  ovs-ofctl del-flows br0
  printf 'in_port=1,actions=output:2\nin_port=2,actions=output:1\n' | ovs-ofctl add-flows br0 -
  # ovs-vswitchd opens the ports' sockets after the database transaction: wait until a ping crosses.
  for _ in $(seq 1 50); do ip netns exec dpb-a ping -q -c 1 -W 0.2 10.99.0.2 >/dev/null 2>&1 && break; sleep 0.2; done
  measure ovs
  # 64-byte UDP through OVS as part udp64 sends it through our datapath (generator pinned to $GEN_CPU; OVS is not pinned).
  rx0=$(ip netns exec dpb-b cat /sys/class/net/eth0/statistics/rx_packets); t0=$(date +%s.%N)
  gen=$(generate "$SECONDS_UDP")
  sleep 0.5
  t1=$(date +%s.%N); rx1=$(ip netns exec dpb-b cat /sys/class/net/eth0/statistics/rx_packets)
  python3 -c "import sys; g,n,w=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[4])-float(sys.argv[3]); print(f'ovs udp64  offered {g/w/1e3:7.0f} k frames/s, forwarded {n/w/1e3:7.0f} k frames/s ({n} of {g})')" "$gen" "$((rx1 - rx0))" "$t0" "$t1"
  ovs-ofctl dump-flows br0 | sed 's/^/  /'
  kill "$(cat "$OVS_DIR/vswitchd.pid")" "$(cat "$OVS_DIR/ovsdb.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$OVS_DIR"
  unset OVS_RUNDIR OVS_DBDIR OVS_LOGDIR
  cleanup
  if [ -n "${RESULT_datapath_GBPS:-}" ]; then  # the ratio needs the "datapath" part of the same run
    python3 - "$RESULT_ovs_GBPS" "$RESULT_datapath_GBPS" "$RESULT_ovs_RTT" "$RESULT_datapath_RTT" <<'PY'
import sys
og, dg, orr, dr = map(float, sys.argv[1:])
print(f"ratio      TCP datapath/OVS userspace {dg/og:.2f}   RTT datapath/OVS userspace {dr/orr:.2f}")
PY
  fi
fi

if [[ " $PARTS " == *" udp64 "* ]]; then
  dotnet build -c Release src/Cli >/dev/null
  for ring in $RINGS; do
    topology
    sed "s/bind: afpacket:\(dpb[AB]-s\) }/bind: afpacket:\1, ring: $ring }/" scripts/bench-live.lab.yaml >/tmp/dpbench-$ring.yaml
    rm -f /tmp/dpbench.sock
    ip netns exec dpb-sw taskset -c "$DP_CPU" dotnet src/Cli/bin/Release/net10.0/datapath.dll run /tmp/dpbench-$ring.yaml --workers "$DP_WORKERS" >/tmp/dpbench-$ring.log 2>&1 &
    DP_PID=$!
    for _ in $(seq 1 300); do [ -S /tmp/dpbench.sock ] && break; sleep 0.2; done
    [ -S /tmp/dpbench.sock ] || { echo "datapath did not start:"; cat /tmp/dpbench-$ring.log; exit 1; }
    rtt=$(ip netns exec dpb-a ping -q -c 50 -i 0.02 10.99.0.2 | awk -F'/' '/^rtt/ {print $5}')
    rx0=$(ip netns exec dpb-b cat /sys/class/net/eth0/statistics/rx_packets)
    cpu0=$(awk '{print $14 + $15}' /proc/$DP_PID/stat)
    t0=$(date +%s.%N)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    gen=$(generate "$SECONDS_UDP")
    sleep 0.5   # let the datapath drain its ring
    t1=$(date +%s.%N)
    cpu1=$(awk '{print $14 + $15}' /proc/$DP_PID/stat)
    rx1=$(ip netns exec dpb-b cat /sys/class/net/eth0/statistics/rx_packets)
    python3 - "$ring" "$gen" "$((rx1 - rx0))" "$t0" "$t1" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" "$rtt" "$load" <<'PY'
import sys
ring, gen, got, t0, t1, ticks, hz, rtt, load = sys.argv[1:]
gen, got, wall, cpu = int(gen), int(got), float(t1) - float(t0), int(ticks) / int(hz)
print(f"udp64 ring={ring:<4} offered {gen/wall/1e3:7.0f} k frames/s, forwarded {got/wall/1e3:7.0f} k frames/s "
      f"({got} of {gen}); datapath CPU {cpu:.2f} s = {got/max(cpu,1e-9)/1e3:.0f} k frames per CPU-second "
      f"({1e9*cpu/max(got,1):.0f} ns/frame); ping avg {rtt} ms; load {load}")
PY
    dotnet src/Cli/bin/Release/net10.0/datapath.dll ctl /tmp/dpbench.sock dump-ports | sed 's/^/  /'
    kill -TERM $DP_PID; wait $DP_PID || true
    cleanup
  done
fi

if [[ " $PARTS " == *" ports "* ]]; then
  out=$(mktemp -d)
  dotnet run -c Release --project bench/Datapath.Benchmarks -- --filter '*LivePortBenchmarks*' --job short --inProcess \
    --artifacts "$out" >"$out/run.log" 2>&1 || { tail -30 "$out/run.log"; exit 1; }
  report=$(ls "$out"/results/*LivePortBenchmarks-report-github.md)
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  cat "$report"
  # Wall clock per op -> frames/s, and the thread's CPU time per frame printed by the benchmark's cleanup.
  python3 - "$report" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    cells = [c.strip().strip('*') for c in line.strip().strip('|').split('|')]
    if len(cells) > 3 and cells[0] == "SendReceive64":
        mean = next(c for c in cells if re.search(r'\d (ns|μs|us|ms)$', c))
        v, unit = mean.replace(',', '').split()
        ns = float(v) * {"ns": 1, "μs": 1e3, "us": 1e3, "ms": 1e6}[unit]
        print(f"{cells[1]:<7} wall {64e9/ns/1e3:6.0f} k frames/s (64 frames per op, {mean} per op)")
PY
  grep '^cpu:' "$out/run.log" || true
  echo "(record the figures in bench/results/live-ports.md by hand, with the date and load)"
fi
