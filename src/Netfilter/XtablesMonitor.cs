using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Netfilter;

// xtables-monitor --trace
// =======================
//
// What?
// -----
// The TRACE target's real effect. A raw-table rule `-j TRACE` sets the packet's nf_trace bit; from then on, in every
// hook and table the packet meets, nf_tables reports each rule that matched (its handle, verdict and, printed by the
// monitor, the rule as `iptables -S` shows it), each chain's policy, and - on older kernels - each return. A subscriber
// (`xtables-monitor --trace`) prints those events. Packets no TRACE rule selected are never reported.
//
// Design
// ------
// The engine calls the tap of its rule set (XtablesMonitor.Attach) on each event of a packet whose
// NetfilterPacket.TraceRequested is set: rule events after the target's own effect (a MARK is seen, a jump is
// reported before the chain it enters), policy events when a built-in chain ends, return events (Linux515 style).
// The kernel attaches the packet's headers to the first event of each base-chain invocation; the monitor prints them
// as a PACKET line before that event when it is a rule event (and, with iptables 1.8.9, a policy event).
// NetfilterPacket.XtablesHeaderPending carries that "first event of this chain" bit, XtablesTraceId the packet's id
// (the same in every hook, drawn from the monitor's seed so a replay prints the same ids twice).
//
// Invariants
// ----------
//  - Nothing is formatted for a packet without TraceRequested (one bool test per event site), nor without a tap.
//  - Lines of one event are written together under the monitor's lock; events of several nodes share one output,
//    with a `# NODE` comment line when the node changes (only with NodeComments).
public sealed class XtablesMonitor
{
    private readonly object _lock = new();
    private readonly TextWriter _output;
    private ulong _idState;
    private string? _lastNode;

    public XtablesMonitor(TextWriter output, XtablesTraceStyle style = XtablesTraceStyle.Linux515, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        Style = style;
        _idState = seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL;
    }

    public XtablesTraceStyle Style { get; }

    /// <summary>Report every packet, as if a TRACE rule at the top of raw PREROUTING and OUTPUT selected it
    /// (<c>datapath trace --format xtables</c>: the packet the command sends is the one traced).</summary>
    public bool TraceAll { get; init; }

    /// <summary>Write <c># NODE</c> before the events of a node when the previous events were another node's.</summary>
    public bool NodeComments { get; init; }

    /// <summary>How many events were written.</summary>
    public long Events { get; private set; }

    /// <summary>How many packets were traced: counted once their first event is written.</summary>
    public long Packets => Volatile.Read(ref _packets);

    private long _packets;

    /// <summary>The nodes whose events were written, in the order they first appeared.</summary>
    public IReadOnlyList<string> Nodes => _nodes;

    private readonly List<string> _nodes = [];

    /// <summary>Runs <paramref name="action"/> while no event is being written (to read the output a live run writes to).</summary>
    public void Exclusive(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_lock)
            action();
    }

    /// <summary>Subscribes to the trace events of <paramref name="rules"/> (one node's tables) as <paramref name="node"/>.</summary>
    public void Attach(RuleSet rules, string node)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Volatile.Write(ref rules.Monitor, new Tap(this, node));
    }

    /// <summary>Ends the subscription of <paramref name="rules"/>, if any.</summary>
    public static void Detach(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Volatile.Write(ref rules.Monitor, null);
    }

    private uint NextId()
    {
        // splitmix64: ids look like the kernel's (8 hex digits), and the same seed gives the same ids.
        ulong z = unchecked(_idState += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        uint id = (uint)(z ^ (z >> 31));
        return id == 0 ? 1 : id;
    }

    /// <summary>One node's subscription: what the engine calls.</summary>
    internal sealed class Tap(XtablesMonitor monitor, string node)
    {
        // Set between a packet's first id and the write of that event, on the writing thread.
        [ThreadStatic]
        private static bool t_firstEvent;

        public XtablesMonitor Monitor => monitor;

        public bool TraceAll => monitor.TraceAll;

        /// <summary>A rule matched: <c>table:chain:rule:0xHANDLE:VERDICT  -4 -t table -A chain ...</c>.</summary>
        public void Rule(ref NetfilterPacket packet, Rule rule)
        {
            if (rule.Target.Kind == TargetKind.Return && monitor.Style == XtablesTraceStyle.Linux515)
            {
                Return(ref packet, rule.Chain);
                return;
            }
            var sb = new StringBuilder(256);
            uint id = Begin(ref packet, sb, printHeaders: true);
            var chain = rule.Chain;
            sb.Append(" TRACE: 2 ").Append(id.ToString("x8", CultureInfo.InvariantCulture)).Append(' ')
                .Append(chain.Table.Name).Append(':').Append(chain.Name).Append(":rule:0x")
                .Append(rule.Handle.ToString("x", CultureInfo.InvariantCulture)).Append(':');
            AppendVerdict(sb, rule, ref packet);
            sb.Append("  -4 -t ").Append(chain.Table.Name).Append(" -A ").Append(chain.Name);
            IptablesListing.SaveRuleSpec(sb, rule, inlineCounters: false);
            sb.Append('\n');
            Write(sb);
        }

        /// <summary>A built-in chain ended: <c>table:chain:policy:ACCEPT</c> (on Linux 5.15 after the chain's own return
        /// event, <see cref="ChainEnd"/>, when it fell off its end).</summary>
        public void Policy(ref NetfilterPacket packet, Chain chain)
        {
            var sb = new StringBuilder(128);
            uint id = Begin(ref packet, sb, printHeaders: monitor.Style == XtablesTraceStyle.Linux618);
            sb.Append(" TRACE: 2 ").Append(id.ToString("x8", CultureInfo.InvariantCulture)).Append(' ')
                .Append(chain.Table.Name).Append(':').Append(chain.Name).Append(":policy:")
                .Append(chain.Policy == NetfilterVerdict.Drop ? "DROP" : "ACCEPT").Append(" \n");
            Write(sb);
        }

        /// <summary>A chain fell off its end (Linux 5.15 only; a built-in one before its policy): <c>table:chain:return:</c>.</summary>
        public void ChainEnd(ref NetfilterPacket packet, Chain chain)
        {
            if (monitor.Style == XtablesTraceStyle.Linux515)
                Return(ref packet, chain);
        }

        private void Return(ref NetfilterPacket packet, Chain chain)
        {
            var sb = new StringBuilder(128);
            uint id = Begin(ref packet, sb, printHeaders: false);
            sb.Append(" TRACE: 2 ").Append(id.ToString("x8", CultureInfo.InvariantCulture)).Append(' ')
                .Append(chain.Table.Name).Append(':').Append(chain.Name).Append(":return:\n");
            Write(sb);
        }

        /// <summary>The packet's id; the PACKET line first when this is the first event of the base chain's run (the
        /// kernel's headers are consumed by that event even when the monitor does not print them).</summary>
        private uint Begin(ref NetfilterPacket packet, StringBuilder sb, bool printHeaders)
        {
            if (packet.XtablesTraceId == 0)
            {
                lock (monitor._lock)
                    packet.XtablesTraceId = monitor.NextId();
                t_firstEvent = true;
            }
            if (packet.XtablesHeaderPending)
            {
                packet.XtablesHeaderPending = false;
                if (printHeaders)
                    AppendPacket(sb, ref packet, monitor.Style);
            }
            return packet.XtablesTraceId;
        }

        private void Write(StringBuilder sb)
        {
            lock (monitor._lock)
            {
                if (!string.Equals(monitor._lastNode, node, StringComparison.Ordinal))
                {
                    if (monitor.NodeComments)
                        monitor._output.Write("# " + node + "\n");
                    monitor._lastNode = node;
                    if (!monitor._nodes.Contains(node))
                        monitor._nodes.Add(node);
                }
                monitor._output.Write(sb.ToString());
                monitor.Events++;
                if (t_firstEvent)
                {
                    t_firstEvent = false;
                    Interlocked.Increment(ref monitor._packets);
                }
            }
        }
    }

    /// <summary>print_verdict: what the rule's expressions left in the verdict register.</summary>
    private static void AppendVerdict(StringBuilder sb, Rule rule, ref NetfilterPacket packet)
    {
        var t = rule.Target;
        switch (t.Kind)
        {
            case TargetKind.Jump:
                sb.Append("JUMP:").Append(t.Name);
                break;
            case TargetKind.Goto:
                sb.Append("GOTO:").Append(t.Name);
                break;
            case TargetKind.Accept:
                sb.Append("ACCEPT");
                break;
            case TargetKind.Drop:
            case TargetKind.Reject:
                // REJECT sends its error and returns NF_DROP.
                sb.Append("DROP");
                break;
            case TargetKind.Return:
                sb.Append("0xfffffffb"); // NFT_RETURN (-5), which print_verdict does not name
                break;
            case TargetKind.Dnat:
            case TargetKind.Snat:
                sb.Append("ACCEPT");
                break;
            case TargetKind.Masquerade:
                // MASQUERADE drops (NF_DROP) when the egress interface has no address.
                sb.Append(packet.HasNatRange ? "ACCEPT" : "DROP");
                break;
            default:
                sb.Append("CONTINUE");
                break;
        }
    }

    /// <summary>trace_print_packet: interfaces, link layer, IPv4 header, ports and TCP flags, mark.</summary>
    private static void AppendPacket(StringBuilder sb, ref NetfilterPacket packet, XtablesTraceStyle style)
    {
        ref var key = ref packet.Key;
        sb.Append("PACKET: 2 ").Append(packet.XtablesTraceId.ToString("x8", CultureInfo.InvariantCulture)).Append(' ');
        if (packet.InInterface is { } inIf)
            sb.Append("IN=").Append(inIf).Append(' ');
        if (packet.OutInterface is { } outIf)
            sb.Append("OUT=").Append(outIf).Append(' ');
        var frame = packet.Frame;
        int l3 = key.Layout.L3Offset;
        // The link-layer header rides along for packets that came in on a device (the skb's MAC header is set).
        // In on lo (ARPHRD_LOOPBACK) the monitor names the device type instead of decoding its (zero) header.
        if (packet.InInterface == "lo")
        {
            sb.Append("LOOPBACK ");
        }
        else if (packet.InInterface is not null && l3 >= EthernetHeader.Length && frame.Length >= EthernetHeader.Length)
        {
            sb.Append("MACSRC=");
            EtherNtoa(sb, frame.Slice(6, 6));
            sb.Append(" MACDST=");
            EtherNtoa(sb, frame[..6]);
            sb.Append(" MACPROTO=").Append(((frame[12] << 8) | frame[13]).ToString("x4", CultureInfo.InvariantCulture)).Append(' ');
        }
        sb.Append("SRC=").Append(new Ipv4Address(key.NwSrc)).Append(" DST=").Append(new Ipv4Address(key.NwDst)).Append(' ');
        Ipv4Header ip = default;
        bool haveHeader = frame.Length > l3 && Ipv4Header.TryRead(frame[l3..], out ip);
        int length = haveHeader ? ip.TotalLength : packet.CountedLength;
        byte tos = haveHeader ? ip.Tos : key.NwTos;
        byte ttl = haveHeader ? ip.Ttl : key.NwTtl;
        ushort flagsOffset = haveHeader ? ip.FlagsAndFragmentOffset : (ushort)0;
        sb.Append("LEN=").Append(length.ToString(CultureInfo.InvariantCulture))
            .Append(" TOS=0x").Append(tos.ToString("x", CultureInfo.InvariantCulture))
            .Append(" TTL=").Append(ttl.ToString(CultureInfo.InvariantCulture))
            .Append(" ID=").Append((haveHeader ? ip.Identification : 0).ToString(CultureInfo.InvariantCulture));
        if (style == XtablesTraceStyle.Linux618)
            sb.Append(' ');
        if ((flagsOffset & 0x8000) != 0)
            sb.Append("CE ");
        if ((flagsOffset & Ipv4Header.DontFragmentFlag) != 0)
            sb.Append("DF ");
        if ((flagsOffset & Ipv4Header.MoreFragmentsFlag) != 0)
            sb.Append("MF ");
        int fragment = flagsOffset & Ipv4Header.FragmentOffsetMask;
        if (fragment != 0)
            sb.Append("FRAG:").Append(fragment.ToString(CultureInfo.InvariantCulture)).Append(' ');
        if (haveHeader && ip.HeaderLength > Ipv4Header.MinLength && frame.Length >= l3 + ip.HeaderLength)
        {
            sb.Append("OPT (");
            foreach (byte b in frame.Slice(l3 + Ipv4Header.MinLength, ip.HeaderLength - Ipv4Header.MinLength))
                sb.Append(b.ToString("X2", CultureInfo.InvariantCulture));
            sb.Append(')');
        }
        if (fragment == 0)
        {
            switch (key.NwProto)
            {
                case IpProtocols.Tcp:
                    sb.Append("SPORT=").Append(key.TpSrc.ToString(CultureInfo.InvariantCulture))
                        .Append(" DPORT=").Append(key.TpDst.ToString(CultureInfo.InvariantCulture)).Append(' ');
                    // the monitor's order: syn, ack, fin, rst, psh, urg
                    if ((key.TcpFlags & 0x02) != 0)
                        sb.Append("SYN ");
                    if ((key.TcpFlags & 0x10) != 0)
                        sb.Append("ACK ");
                    if ((key.TcpFlags & 0x01) != 0)
                        sb.Append("FIN ");
                    if ((key.TcpFlags & 0x04) != 0)
                        sb.Append("RST ");
                    if ((key.TcpFlags & 0x08) != 0)
                        sb.Append("PSH ");
                    if ((key.TcpFlags & 0x20) != 0)
                        sb.Append("URG ");
                    break;
                case IpProtocols.Udp:
                case IpProtocols.Sctp:
                case 33: // DCCP
                case 136: // UDP-Lite
                    sb.Append("SPORT=").Append(key.TpSrc.ToString(CultureInfo.InvariantCulture))
                        .Append(" DPORT=").Append(key.TpDst.ToString(CultureInfo.InvariantCulture)).Append(' ');
                    break;
            }
        }
        if (key.PktMark != 0)
            sb.Append("MARK=0x").Append(key.PktMark.ToString("x", CultureInfo.InvariantCulture)).Append(' ');
        sb.Append('\n');
    }

    /// <summary>ether_ntoa: hex bytes without leading zeros (<c>a:70:88:fa:f2:a6</c>).</summary>
    private static void EtherNtoa(StringBuilder sb, ReadOnlySpan<byte> mac)
    {
        for (int i = 0; i < 6; i++)
        {
            if (i > 0)
                sb.Append(':');
            sb.Append(mac[i].ToString("x", CultureInfo.InvariantCulture));
        }
    }
}
