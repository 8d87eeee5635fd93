namespace Datapath.Conntrack;

/// <summary>
/// Connection timeouts per protocol state, named as OVS's ct timeout policies
/// (ovs-vsctl add-zone-tp: tcp_syn_sent, ..., udp_first, udp_single, udp_multiple,
/// icmp_first, icmp_reply) and Linux's nf_conntrack_*_timeout sysctls.
/// </summary>
/// <remarks>
/// <see cref="Mapping"/> says how a connection's protocol state picks an attribute:
/// <list type="bullet">
/// <item><see cref="TimeoutMapping.OvsUserspace"/> — as OVS's userspace tracker (lib/conntrack-tp.c):
/// the first packet uses tcp_syn_sent; while either peer is below ESTABLISHED, tcp_syn_recv;
/// established, tcp_established; once one side sent FIN, tcp_fin_wait; once both sent FIN,
/// tcp_time_wait; once both FINs are acknowledged (or after a RST), tcp_close.
/// UDP and other protocols: first packet udp_first, more packets one way udp_single, both ways
/// udp_multiple. ICMP: icmp_first, then icmp_reply once a reply was seen.</item>
/// <item><see cref="TimeoutMapping.LinuxKernel"/> — the attribute named after the connection's
/// Linux TCP state (<see cref="TcpState"/>): SYN_SENT → tcp_syn_sent, ..., CLOSE → tcp_close.
/// UDP: unreplied udp_first/udp_single (nf_conntrack_udp_timeout), replied udp_multiple
/// (nf_conntrack_udp_timeout_stream). ICMP: both icmp attributes are nf_conntrack_icmp_timeout.</item>
/// </list>
/// </remarks>
public sealed record TimeoutPolicy
{
    public TimeoutMapping Mapping { get; init; } = TimeoutMapping.OvsUserspace;
    public TimeSpan TcpSynSent { get; init; }
    public TimeSpan TcpSynRecv { get; init; }
    public TimeSpan TcpEstablished { get; init; }
    public TimeSpan TcpFinWait { get; init; }
    public TimeSpan TcpCloseWait { get; init; }
    public TimeSpan TcpLastAck { get; init; }
    public TimeSpan TcpTimeWait { get; init; }
    public TimeSpan TcpClose { get; init; }
    public TimeSpan UdpFirst { get; init; }
    public TimeSpan UdpSingle { get; init; }
    public TimeSpan UdpMultiple { get; init; }
    public TimeSpan IcmpFirst { get; init; }
    public TimeSpan IcmpReply { get; init; }

    /// <summary>OVS userspace conntrack's defaults (lib/conntrack-tp.c CT_TIMEOUTS).</summary>
    public static TimeoutPolicy OvsDefaults { get; } = new()
    {
        Mapping = TimeoutMapping.OvsUserspace,
        TcpSynSent = TimeSpan.FromSeconds(30),
        TcpSynRecv = TimeSpan.FromSeconds(30),
        TcpEstablished = TimeSpan.FromHours(24),
        TcpFinWait = TimeSpan.FromMinutes(15),
        // Not consulted under the OVS mapping; the kernel-module defaults for completeness.
        TcpCloseWait = TimeSpan.FromSeconds(60),
        TcpLastAck = TimeSpan.FromSeconds(30),
        TcpTimeWait = TimeSpan.FromSeconds(45),
        TcpClose = TimeSpan.FromSeconds(30),
        UdpFirst = TimeSpan.FromSeconds(60),
        UdpSingle = TimeSpan.FromSeconds(60),
        UdpMultiple = TimeSpan.FromSeconds(30),
        IcmpFirst = TimeSpan.FromSeconds(60),
        IcmpReply = TimeSpan.FromSeconds(30),
    };

    /// <summary>Linux nf_conntrack defaults (Documentation/networking/nf_conntrack-sysctl.rst).</summary>
    public static TimeoutPolicy LinuxDefaults { get; } = new()
    {
        Mapping = TimeoutMapping.LinuxKernel,
        TcpSynSent = TimeSpan.FromSeconds(120),
        TcpSynRecv = TimeSpan.FromSeconds(60),
        TcpEstablished = TimeSpan.FromSeconds(432000),
        TcpFinWait = TimeSpan.FromSeconds(120),
        TcpCloseWait = TimeSpan.FromSeconds(60),
        TcpLastAck = TimeSpan.FromSeconds(30),
        TcpTimeWait = TimeSpan.FromSeconds(120),
        TcpClose = TimeSpan.FromSeconds(10),
        UdpFirst = TimeSpan.FromSeconds(30),
        UdpSingle = TimeSpan.FromSeconds(30),
        UdpMultiple = TimeSpan.FromSeconds(120),
        IcmpFirst = TimeSpan.FromSeconds(30),
        IcmpReply = TimeSpan.FromSeconds(30),
    };

    /// <summary>Linux defaults as kube-proxy sets them: established 24 h
    /// (--conntrack-tcp-timeout-established) and close_wait 1 h (--conntrack-tcp-timeout-close-wait).</summary>
    public static TimeoutPolicy KubeProxy { get; } = LinuxDefaults with
    {
        TcpEstablished = TimeSpan.FromHours(24),
        TcpCloseWait = TimeSpan.FromHours(1),
    };

    /// <summary>Milliseconds of one attribute (a switch, no cache: <c>with</c> copies stay exact).</summary>
    internal long GetMs(CtTimeoutAttr attr) => (attr switch
    {
        CtTimeoutAttr.TcpSynSent => TcpSynSent,
        CtTimeoutAttr.TcpSynRecv => TcpSynRecv,
        CtTimeoutAttr.TcpEstablished => TcpEstablished,
        CtTimeoutAttr.TcpFinWait => TcpFinWait,
        CtTimeoutAttr.TcpCloseWait => TcpCloseWait,
        CtTimeoutAttr.TcpLastAck => TcpLastAck,
        CtTimeoutAttr.TcpTimeWait => TcpTimeWait,
        CtTimeoutAttr.TcpClose => TcpClose,
        CtTimeoutAttr.UdpFirst => UdpFirst,
        CtTimeoutAttr.UdpSingle => UdpSingle,
        CtTimeoutAttr.UdpMultiple => UdpMultiple,
        CtTimeoutAttr.IcmpFirst => IcmpFirst,
        _ => IcmpReply,
    }).Ticks / TimeSpan.TicksPerMillisecond;
}

/// <summary>How a <see cref="TimeoutPolicy"/> maps protocol states to its attributes.</summary>
public enum TimeoutMapping : byte
{
    /// <summary>OVS userspace conntrack (lib/conntrack-tp.c).</summary>
    OvsUserspace,
    /// <summary>Linux nf_conntrack: one attribute per Linux TCP state.</summary>
    LinuxKernel,
}

/// <summary>Index of a timeout attribute (OVS's ct_dpif_tp_attr, the Linux sysctl names).</summary>
internal enum CtTimeoutAttr : byte
{
    TcpSynSent,
    TcpSynRecv,
    TcpEstablished,
    TcpFinWait,
    TcpCloseWait,
    TcpLastAck,
    TcpTimeWait,
    TcpClose,
    UdpFirst,
    UdpSingle,
    UdpMultiple,
    IcmpFirst,
    IcmpReply,
    Count,
}
