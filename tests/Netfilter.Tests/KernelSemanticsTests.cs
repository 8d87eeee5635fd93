using System.Globalization;
using System.Text.RegularExpressions;
using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>
/// The kernel runs the seeds' iptables semantics and we run them the same way. A node namespace gets the
/// interfaces of a Calico VXLAN node that also runs Docker (eth0 192.168.1.88/24, vxlan.calico 10.42.135.128/32,
/// docker0 172.17.0.1/16 with a container behind it, a pod on cali1), and <see cref="RuleFixtures.SeedSemantics"/>
/// with its sets; UDP datagrams are sent from the node itself (with SO_MARK), from the LAN, the container and the
/// pod, each a new connection. Then every rule's and policy's counters (<c>iptables-save -c</c>) and the connection
/// table (<c>conntrack -L</c>: which flows MASQUERADE rewrote, to which address, within which ports) must equal
/// what our engine counts and tracks for the same datagrams run through the hooks in the kernel's order.
/// </summary>
public sealed class KernelSemanticsTests
{
    /// <summary>One datagram: from which namespace, source port, destination, SO_MARK, SO_BROADCAST.</summary>
    private readonly record struct Datagram(string From, ushort SourcePort, string Destination, ushort DestinationPort, uint Mark = 0, bool Broadcast = false);

    private static readonly Datagram[] s_datagrams =
    [
        // The node itself (local out): seed 002's curl to the ClusterIP, straight to the remote pod, the LAN,
        // its own addresses (DOCKER's DNAT, 127/8), the MARK forms, the sets.
        new("node", 40001, "10.43.156.98", 9898),
        new("node", 40002, "10.42.54.194", 9898),
        new("node", 40003, "192.168.1.1", 53),
        new("node", 40004, "192.168.1.88", 8080),
        new("node", 40005, "127.0.0.1", 8080),
        new("node", 41001, "192.168.1.1", 1001, 0x1),
        new("node", 41002, "192.168.1.1", 1002, 0x1ff),
        new("node", 41003, "192.168.1.1", 1003, 0x1234),
        new("node", 41004, "192.168.1.1", 1004, 0x1),
        new("node", 41005, "192.168.1.1", 1005, 0x5),
        new("node", 41006, "192.168.1.1", 1006, 0xffff),
        new("node", 41007, "192.168.1.1", 1007, 0x4f0009),
        new("node", 40010, "10.96.0.10", 53),
        new("node", 40011, "10.0.1.2", 53),
        new("node", 40012, "192.168.7.5", 53),
        new("node", 40013, "192.168.8.1", 53),
        new("node", 40014, "10.42.135.128", 53),
        // The LAN: Docker's published port, an unpublished container port (FORWARD policy DROP), the ClusterIP,
        // the subnet broadcast, the node's vxlan.calico address.
        new("ext", 42001, "192.168.1.88", 8080),
        new("ext", 42002, "172.17.0.2", 81),
        new("ext", 42003, "10.43.156.98", 9898),
        new("ext", 42004, "192.168.1.255", 53, Broadcast: true),
        new("ext", 42005, "10.42.135.128", 53),
        // The container: out to the LAN (MASQUERADE, and --to-ports on 5000), to the node's addresses.
        new("ctr", 43001, "192.168.1.1", 53),
        new("ctr", 43002, "172.17.0.1", 53),
        new("ctr", 43003, "192.168.1.88", 8080),
        new("ctr", 43004, "192.168.1.1", 5000),
        // The pod: out to the LAN (cali-nat-outgoing), to a pod on another node, to the ClusterIP.
        new("pod", 44001, "192.168.1.1", 53),
        new("pod", 44002, "10.42.54.194", 9898),
        new("pod", 44003, "10.43.156.98", 9898),
    ];

    private const string Setup = """
        set -e
        S=$1; N=$S-node; E=$S-ext; C=$S-ctr; P=$S-pod
        for n in $N $E $C $P; do ip netns add $n; ip -n $n link set lo up; done
        ip -n $N link add eth0 type veth peer name eth0p netns $E
        ip -n $N link add vxlan.calico type veth peer name vxp netns $E
        ip -n $N link add docker0 type bridge
        ip -n $N link add vethd type veth peer name ctr0 netns $C
        ip -n $N link set vethd master docker0
        ip -n $N link add cali1 type veth peer name eth0 netns $P
        ip -n $N addr add 192.168.1.88/24 dev eth0
        ip -n $N addr add 10.42.135.128/32 dev vxlan.calico
        ip -n $N addr add 172.17.0.1/16 dev docker0
        # multicast off: no IGMP reports of the node's own through the chains while we count
        for d in eth0 vxlan.calico docker0 vethd cali1; do ip -n $N link set $d multicast off; ip -n $N link set $d up; done
        ip -n $N route add default via 192.168.1.1 dev eth0
        ip -n $N route add 10.42.54.192/26 via 10.42.54.193 dev vxlan.calico onlink
        ip -n $N route add 10.42.135.131/32 dev cali1
        # next hops with MACs nobody owns: the frames leave and are dropped as PACKET_OTHERHOST (no replies, no ICMP)
        ip -n $N neigh add 192.168.1.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent
        ip -n $N neigh add 10.42.54.193 lladdr 02:00:00:00:01:02 dev vxlan.calico nud permanent
        ip -n $N neigh add 172.17.0.2 lladdr 02:00:00:00:01:03 dev docker0 nud permanent
        ip -n $N neigh add 10.42.135.131 lladdr 02:00:00:00:01:04 dev cali1 nud permanent
        ip netns exec $N sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        ip -n $E addr add 192.168.1.1/24 dev eth0p
        ip -n $E link set eth0p up; ip -n $E link set vxp up
        ip -n $E route add 172.17.0.0/16 via 192.168.1.88
        ip -n $E route add 10.43.0.0/16 via 192.168.1.88
        ip -n $E route add 10.42.0.0/16 via 192.168.1.88
        ip -n $C addr add 172.17.0.2/16 dev ctr0; ip -n $C link set ctr0 up
        ip -n $C route add default via 172.17.0.1
        ip -n $P addr add 10.42.135.131/32 dev eth0; ip -n $P link set eth0 up
        ip -n $P route add 169.254.1.1 dev eth0; ip -n $P route add default via 169.254.1.1 dev eth0
        ip -n $P neigh add 169.254.1.1 lladdr $(ip -n $N -br link show cali1 | awk '{print $3}') dev eth0 nud permanent
        # the senders drop what comes back to them, so they answer nothing (no ICMP port unreachable)
        for n in $E $C $P; do ip netns exec $n iptables -A INPUT -p udp -j DROP; done
        # the IGMPv3 reports a new bridge sends (to 224.0.0.22, within a second) are over before the rules count
        sleep 2
        """;

    /// <summary>Sends "sport dst dport mark broadcast;..." as UDP datagrams of 3 bytes (IP length 31), one socket each,
    /// 50 ms apart (xtables-monitor asks the kernel for every traced rule's text; a burst of events overruns its
    /// netlink socket, and it exits on ENOBUFS).</summary>
    private const string Sender = """
        import socket, sys, time
        for line in sys.argv[1].split(';'):
            time.sleep(0.05)
            w = line.split()
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            if int(w[3]): s.setsockopt(socket.SOL_SOCKET, 36, int(w[3]))
            if w[4] == '1': s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            s.bind(('', int(w[0])))
            s.sendto(b'\x01\x02\x03', (w[1], int(w[2])))
            s.close()
        """;

    /// <summary>The TRACE rules added after the restore (as seed 002 adds its own): the ClusterIP and pod port
    /// from the node, the LAN and the pod; Docker's published port; two of the MARK datagrams.</summary>
    private static readonly string[] s_traceRules =
    [
        "-A OUTPUT -p udp -m udp --dport 9898 -j TRACE",
        "-A PREROUTING -p udp -m udp --dport 9898 -j TRACE",
        "-A PREROUTING -p udp -m udp --dport 8080 -j TRACE",
        "-A OUTPUT -p udp -m udp --dport 1001:1002 -j TRACE",
    ];

    [NetnsFact]
    public void Counters_connections_and_traces_equal_the_kernels_for_the_seeds_semantics()
    {
        if (Shell.Run("python3", "-c \"import socket\"").ExitCode != 0)
            return; // python3 sends the datagrams (SO_MARK, SO_BROADCAST); without it there is nothing to judge

        string s = "ks" + Guid.NewGuid().ToString("N")[..6];
        System.Diagnostics.Process? monitor = null;
        try
        {
            var setup = Shell.Run("bash", "-s -- " + s, Setup);
            Assert.True(setup.ExitCode == 0, "namespace setup failed: " + setup.Error);
            string sets = RuleFixtures.Ipsets + "\n";
            Assert.True(Shell.Run("ip", $"netns exec {s}-node ipset restore", sets).ExitCode == 0, "ipset restore failed");
            var restore = Shell.Run("ip", $"netns exec {s}-node iptables-restore", RuleFixtures.SeedSemantics + "\n");
            Assert.True(restore.ExitCode == 0, "iptables-restore refused the document: " + restore.Error);
            foreach (string rule in s_traceRules)
                Assert.True(Shell.Run("ip", $"netns exec {s}-node iptables -t raw {rule}").ExitCode == 0, "iptables -t raw " + rule);
            var macs = new Dictionary<string, string>();
            foreach (var (ns, dev) in new[] { ("ext", "eth0p"), ("ctr", "ctr0"), ("pod", "eth0"), ("node", "eth0"), ("node", "docker0"), ("node", "cali1") })
                macs[ns + "/" + dev] = Shell.Run("ip", $"-n {s}-{ns} -br link show {dev}").Output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];

            // xtables-monitor writes each event as it comes; it is stopped with SIGTERM (its stdio is flushed per event).
            string traceFile = Path.Combine(Path.GetTempPath(), s + ".xtables");
            monitor = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", $"-c \"exec ip netns exec {s}-node xtables-monitor --trace > {traceFile}\"")
            {
                UseShellExecute = false,
            })!;
            Thread.Sleep(500);
            foreach (var from in new[] { "node", "ext", "ctr", "pod" })
            {
                string list = string.Join(';', s_datagrams.Where(d => d.From == from)
                    .Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.SourcePort} {d.Destination} {d.DestinationPort} {d.Mark} {(d.Broadcast ? 1 : 0)}")));
                var send = Shell.Run("ip", $"netns exec {s}-{from} python3 -c \"{Sender.Replace("\"", "\\\"", StringComparison.Ordinal)}\" \"{list}\"");
                Assert.True(send.ExitCode == 0, $"sending from {from} failed: {send.Error}");
            }
            // The monitor asks the kernel for each traced rule's text: wait until its output stops growing.
            long size = -1;
            for (int waited = 0; waited < 100; waited++)
            {
                Thread.Sleep(200);
                long now = new FileInfo(traceFile).Length;
                if (now == size && now > 0)
                    break;
                size = now;
            }
            Shell.Run("kill", monitor.Id.ToString(CultureInfo.InvariantCulture));
            monitor.WaitForExit();
            string kernelSave = Shell.Run("ip", $"netns exec {s}-node iptables-save -c").Output;
            var kernelConntrack = Shell.Run("ip", $"netns exec {s}-node conntrack -L").Output;

            var ourTrace = new StringWriter();
            var (rules, tracker) = RunOurs(macs, new XtablesMonitor(ourTrace, XtablesTraceStyle.Linux618));
            Assert.Equal(WithoutComments(kernelSave), IptablesSaveWriter.Write(rules, counters: true, null, out _));
            Assert.Equal(string.Join("\n", Normalized(kernelConntrack.Split("\n"))), string.Join("\n", Normalized(tracker.ListConntrack(0))));
            string kernel = File.ReadAllText(traceFile);
            File.Delete(traceFile);
            Assert.Contains("raw:OUTPUT:rule:0x", kernel);
            Assert.Equal(TraceNormalized(kernel), TraceNormalized(ourTrace.ToString()));
            // one id per traced packet, the same in every hook: the 10 datagrams the TRACE rules select (5 to port 9898,
            // 3 through PREROUTING to 8080 - one of them the node's own to 127.0.0.1, back in on lo - and 2 MARK ones)
            Assert.Equal(10, Regex.Matches(ourTrace.ToString(), @"PACKET: 2 ([0-9a-f]{8}) ").Select(m => m.Groups[1].Value).Distinct().Count());
        }
        finally
        {
            if (monitor is { HasExited: false })
                monitor.Kill();
            monitor?.Dispose();
            foreach (var n in new[] { "node", "ext", "ctr", "pod" })
                Shell.Run("ip", $"netns del {s}-{n}");
        }
    }

    /// <summary>xtables-monitor lines without the trace ids and the IP IDs (the sockets' random ones; ours are 0). The
    /// kernel's trace id is a siphash of the skb's address, flow hash and input interface, so it is not ours; it even
    /// changes at INPUT for a datagram bridged in from docker0, where ours stays the packet's one id.</summary>
    private static string TraceNormalized(string text)
        => Regex.Replace(Regex.Replace(text, @"(PACKET|TRACE): 2 [0-9a-f]{8} ", "$1: 2 <id> "), @" ID=\d+ ", " ID=* ");

    private static string WithoutComments(string saved)
        => string.Concat(saved.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l + "\n"));

    /// <summary>conntrack -L lines, sorted, with the timeout left out and a port MASQUERADE --random-fully picked
    /// replaced by its range (the kernel's pick and ours are both random).</summary>
    private static List<string> Normalized(IEnumerable<string> lines)
    {
        var result = new List<string>();
        foreach (string line in lines)
        {
            if (!line.StartsWith("udp", StringComparison.Ordinal))
                continue;
            var m = Regex.Match(line, @"^udp\s+17 \d+ src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) \[UNREPLIED\] src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) (.*)$");
            Assert.True(m.Success, "unexpected conntrack line: " + line);
            int replyPort = int.Parse(m.Groups[8].Value, CultureInfo.InvariantCulture);
            string port = m.Groups[8].Value == m.Groups[3].Value ? "=sport"
                : m.Groups[4].Value == "5000" ? (replyPort is >= 20000 and <= 20010 ? "in 20000-20010" : "outside 20000-20010: " + replyPort)
                : replyPort is >= 1024 ? "random" : "low: " + replyPort;
            result.Add($"src={m.Groups[1]} dst={m.Groups[2]} sport={m.Groups[3]} dport={m.Groups[4]} [UNREPLIED] src={m.Groups[5]} dst={m.Groups[6]} sport={m.Groups[7]} dport {port} {m.Groups[9]}");
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>The node as the kernel configures it in <see cref="Setup"/>: its addresses and its routes.</summary>
    private static readonly StaticNetfilterHost s_node = new StaticNetfilterHost()
        .AddAddress("lo", Packets.Ip("127.0.0.1"), 8)
        .AddAddress("eth0", Packets.Ip("192.168.1.88"), 24)
        .AddAddress("vxlan.calico", Packets.Ip("10.42.135.128"), 32)
        .AddAddress("docker0", Packets.Ip("172.17.0.1"), 16);

    /// <summary><c>ip route get</c> on the node: the egress interface and the source a local socket gets.</summary>
    private static (string Device, string Source, bool Local) Route(uint dst)
    {
        var t = s_node.Classify(dst, null);
        if (t is AddressTypes.Local or AddressTypes.Broadcast)
            return ("lo", new Ipv4Address(dst).ToString(), true);
        if ((dst & 0xFFFFFFC0) == Packets.Ip("10.42.54.192"))
            return ("vxlan.calico", "10.42.135.128", false);
        if (dst == Packets.Ip("10.42.135.131"))
            return ("cali1", "10.42.135.128", false);
        if ((dst & 0xFFFF0000) == Packets.Ip("172.17.0.0"))
            return ("docker0", "172.17.0.1", false);
        return ("eth0", "192.168.1.88", false);
    }

    private static string SenderDevice(string from) => from switch
    {
        "ext" => "eth0p",
        "ctr" => "ctr0",
        _ => "eth0",
    };

    private static readonly Dictionary<string, (string Source, string Device)> s_senders = new()
    {
        ["ext"] = ("192.168.1.1", "eth0"),
        ["ctr"] = ("172.17.0.2", "docker0"),
        ["pod"] = ("10.42.135.131", "cali1"),
    };

    /// <summary>Runs every datagram through our engine in the kernel's hook order: local out is OUTPUT, a re-route
    /// when OUTPUT's DNAT changed the destination, POSTROUTING, and for a local destination PREROUTING and INPUT on
    /// lo; a received datagram is PREROUTING, then INPUT or FORWARD and POSTROUTING as the route after DNAT says.</summary>
    private static (RuleSet Rules, ConnectionTracker Tracker) RunOurs(Dictionary<string, string> macs, XtablesMonitor monitor)
    {
        var tracker = new ConnectionTracker(new ConntrackOptions { DefaultPolicy = TimeoutPolicy.KubeProxy });
        // The TRACE rules come after the file's, as `iptables -t raw -A` after the restore makes them (their handles too).
        string document = RuleFixtures.SeedSemantics.Replace("-A cali-PREROUTING -m comment --comment \"cali:PWuxTAIaFCtsg5Qa\" -m mark --mark 0x40000/0x40000 -m set --match-set cali40all-ipam-pools src\nCOMMIT",
            "-A cali-PREROUTING -m comment --comment \"cali:PWuxTAIaFCtsg5Qa\" -m mark --mark 0x40000/0x40000 -m set --match-set cali40all-ipam-pools src\n" + string.Join('\n', s_traceRules) + "\nCOMMIT",
            StringComparison.Ordinal);
        Assert.NotEqual(RuleFixtures.SeedSemantics, document);
        var rules = IptablesSaveParser.ParseText(document, "SeedSemantics");
        monitor.Attach(rules, "node");
        var engine = new NetfilterEngine(rules, new NetfilterEngineOptions
        {
            Sets = IpSets.IpsetSaveParser.ParseText(RuleFixtures.Ipsets, "RuleFixtures.Ipsets"),
            RandomSeed = 7,
            Conntrack = new ConntrackNatBinding(tracker),
            Host = s_node,
        });
        foreach (var d in s_datagrams)
        {
            bool local = d.From == "node";
            var first = local ? Route(Packets.Ip(d.Destination)) : default;
            string src = local ? first.Source : s_senders[d.From].Source;
            var frame = local ? Packets.UdpFrame(src, d.SourcePort, d.Destination, d.DestinationPort)
                : PacketBuilder.Udp(MacAddress.Parse(macs[d.From + "/" + SenderDevice(d.From)]), MacAddress.Parse(macs["node/" + s_senders[d.From].Device]),
                    Ipv4Address.Parse(src), Ipv4Address.Parse(d.Destination), d.SourcePort, d.DestinationPort, [1, 2, 3]);
            frame[EthernetHeader.Length + 6] |= 0x40; // DF, as Linux sets it on a UDP socket (path MTU discovery)
            FlowKey.Extract(frame, 2, out var key);
            key.PktMark = d.Mark;
            var packet = new NetfilterPacket(ref key, frame) { Length = 31 };
            if (local)
            {
                packet.OutInterface = first.Device;
                uint before = key.NwDst;
                if (engine.Run(NetfilterHook.Output, ref packet) != NetfilterVerdict.Accept)
                    continue;
                var route = key.NwDst == before ? first : Route(key.NwDst);
                packet.OutInterface = route.Device;
                if (engine.Run(NetfilterHook.Postrouting, ref packet) != NetfilterVerdict.Accept || !route.Local)
                    continue;
                packet.InInterface = "lo";
                packet.OutInterface = null;
                if (engine.Run(NetfilterHook.Prerouting, ref packet) == NetfilterVerdict.Accept)
                    engine.Run(NetfilterHook.Input, ref packet);
            }
            else
            {
                packet.InInterface = s_senders[d.From].Device;
                if (engine.Run(NetfilterHook.Prerouting, ref packet) != NetfilterVerdict.Accept)
                    continue;
                var route = Route(key.NwDst);
                if (route.Local)
                {
                    engine.Run(NetfilterHook.Input, ref packet);
                    continue;
                }
                packet.OutInterface = route.Device;
                frame[EthernetHeader.Length + 8]--; // ip_forward decrements the TTL before the FORWARD hook
                if (engine.Run(NetfilterHook.Forward, ref packet) == NetfilterVerdict.Accept)
                    engine.Run(NetfilterHook.Postrouting, ref packet);
            }
        }
        return (rules, tracker);
    }
}
