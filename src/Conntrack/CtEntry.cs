namespace Datapath.Conntrack;

/// <summary>A snapshot of one connection (one line of dpctl/dump-conntrack, or of <c>conntrack -L</c> for the host's:
/// <see cref="ConntrackToolsLine"/>). <see cref="SeenReply"/> and <see cref="Assured"/> are IPS_SEEN_REPLY and
/// IPS_ASSURED as the kernel sets them (ASSURED: a TCP connection past its handshake).</summary>
public sealed record CtEntry(
    CtTuple Original,
    CtTuple Reply,
    ushort Zone,
    uint Mark,
    UInt128 Label,
    TcpState TcpState,
    long ExpirationMs,
    bool SeenReply = false,
    bool Assured = false)
{
    /// <summary>
    /// The line as <c>ovs-appctl dpctl/dump-conntrack</c> prints it (ct-dpif.c ct_dpif_format_entry,
    /// not verbose, no stats): protocol, orig, reply, then zone, mark and labels when non-zero, and
    /// for TCP the state through ct-dpif's names and coalescing (SYN_RECV shows as ESTABLISHED).
    /// </summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder(160);
        sb.Append(CtTuple.ProtocolName(Original.NwProto));
        sb.Append(",orig=(").Append(Original.ToString()).Append(')');
        sb.Append(",reply=(").Append(Reply.ToString()).Append(')');
        if (Zone != 0)
            sb.Append(",zone=").Append(Zone);
        if (Mark != 0)
            sb.Append(",mark=").Append(Mark);
        if (Label != 0)
            sb.Append(",labels=0x").Append(Label.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        if (Original.NwProto == Datapath.Packets.IpProtocols.Tcp)
            sb.Append(",protoinfo=(state=").Append(DpifStateName(TcpState)).Append(')');
        return sb.ToString();
    }

    /// <summary>ct-dpif's name for a TCP state after coalesce_tcp_state (what dpctl prints for a kernel connection).</summary>
    public static string DpifStateName(TcpState state) => state switch
    {
        TcpState.SynSent => "SYN_SENT",
        TcpState.SynRecv => "ESTABLISHED",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait => "FIN_WAIT_1",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        TcpState.Close => "CLOSING",
        _ => "CLOSED",
    };

    /// <summary>
    /// The line as conntrack-tools 1.4.7 prints it in <c>conntrack -L</c> (libnetfilter_conntrack's default
    /// format): <c>tcp      6 431999 ESTABLISHED src=... dst=... sport=... dport=... [UNREPLIED] src=... [ASSURED] mark=0 use=1</c>;
    /// the timeout is the whole seconds left at <paramref name="nowMs"/>, ICMP tuples are <c>type= code= id=</c>,
    /// a zone other than 0 is shown as <c>zone=N</c> before <c>use=</c>.
    /// </summary>
    public string ConntrackToolsLine(long nowMs)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder(200);
        byte proto = Original.NwProto;
        string name = proto switch
        {
            Datapath.Packets.IpProtocols.Tcp => "tcp",
            Datapath.Packets.IpProtocols.Udp => "udp",
            Datapath.Packets.IpProtocols.Icmp => "icmp",
            Datapath.Packets.IpProtocols.Sctp => "sctp",
            Datapath.Packets.IpProtocols.Icmpv6 => "icmpv6",
            _ => "unknown",
        };
        sb.Append(name.PadRight(8)).Append(' ').Append(proto.ToString(inv)).Append(' ');
        sb.Append(Math.Max(0, (ExpirationMs - nowMs) / 1000).ToString(inv)).Append(' ');
        if (proto == Datapath.Packets.IpProtocols.Tcp)
            sb.Append(ConntrackToolsStateName(TcpState)).Append(' ');
        AppendTuple(sb, Original, inv);
        if (!SeenReply)
            sb.Append("[UNREPLIED] ");
        AppendTuple(sb, Reply, inv);
        if (Assured)
            sb.Append("[ASSURED] ");
        sb.Append("mark=").Append(Mark.ToString(inv)).Append(' ');
        if (Zone != 0)
            sb.Append("zone=").Append(Zone.ToString(inv)).Append(' ');
        sb.Append("use=1");
        return sb.ToString();
    }

    private static void AppendTuple(System.Text.StringBuilder sb, CtTuple t, IFormatProvider inv)
    {
        sb.Append("src=").Append(t.FormatAddress(t.Src)).Append(" dst=").Append(t.FormatAddress(t.Dst)).Append(' ');
        if (t.NwProto is Datapath.Packets.IpProtocols.Icmp or Datapath.Packets.IpProtocols.Icmpv6)
        {
            sb.Append("type=").Append((t.DstPort >> 8).ToString(inv)).Append(" code=").Append((t.DstPort & 0xFF).ToString(inv))
                .Append(" id=").Append(t.SrcPort.ToString(inv)).Append(' ');
        }
        else if (t.NwProto is Datapath.Packets.IpProtocols.Tcp or Datapath.Packets.IpProtocols.Udp or Datapath.Packets.IpProtocols.Sctp)
        {
            sb.Append("sport=").Append(t.SrcPort.ToString(inv)).Append(" dport=").Append(t.DstPort.ToString(inv)).Append(' ');
        }
    }

    /// <summary>The kernel's TCP conntrack state names (tcp_conntrack_names) as conntrack -L prints them.</summary>
    public static string ConntrackToolsStateName(TcpState state) => state switch
    {
        TcpState.SynSent => "SYN_SENT",
        TcpState.SynRecv => "SYN_RECV",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait => "FIN_WAIT",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        TcpState.Close => "CLOSE",
        _ => "NONE",
    };
}
