namespace Datapath.Conntrack;

/// <summary>A snapshot of one connection (one line of dpctl/dump-conntrack).</summary>
public sealed record CtEntry(
    CtTuple Original,
    CtTuple Reply,
    ushort Zone,
    uint Mark,
    UInt128 Label,
    TcpState TcpState,
    long ExpirationMs)
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
}
