using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// A packet on its way through one netfilter hook: the parsed <see cref="FlowKey"/> (whose
/// <see cref="FlowKey.PktMark"/> is the skb mark and whose Ct* fields are what conntrack found), the frame
/// (may be empty for key-only decisions), the interfaces, the time, and what the hook decided.
/// The same value is passed to every hook the packet meets so the conntrack handle and the trace follow it.
/// </summary>
public ref struct NetfilterPacket
{
    /// <summary>The packet's fields; NAT rewrites NwSrc/NwDst/TpSrc/TpDst here and in <see cref="Frame"/>.</summary>
    public ref FlowKey Key;

    /// <summary>The whole Ethernet frame the key was extracted from, or empty.</summary>
    public Span<byte> Frame;

    /// <summary>The interface the packet came in on (<c>-i</c>); null for locally generated packets.</summary>
    public string? InInterface;

    /// <summary>The interface routing chose (<c>-o</c>); null before routing (PREROUTING, INPUT).</summary>
    public string? OutInterface;

    /// <summary>Milliseconds on the caller's clock (for <c>-m recent</c> and conntrack timeouts).</summary>
    public long NowMs;

    /// <summary>The IP packet length counted in byte counters; 0 means "from the frame".</summary>
    public int Length;

    /// <summary>conntrack status bits (<c>--ctstatus</c>), set by the conntrack binding.</summary>
    public CtStatusFlags CtStatus;

    /// <summary>The reply tuple of the packet's connection (<c>--ctreplsrc/--ctrepldst/--ctreplsrcport/--ctrepldstport</c>),
    /// set by the conntrack binding; host order.</summary>
    public uint CtReplyNwSrc;

    public uint CtReplyNwDst;

    public ushort CtReplyTpSrc;

    public ushort CtReplyTpDst;

    /// <summary>The connection the conntrack binding found or created for this packet (the skb's nfct).</summary>
    public Datapath.Conntrack.NfConntrack Connection;

    /// <summary>When not null, every rule that matches, every return and policy is appended (TRACE-style).</summary>
    public List<NetfilterTraceStep>? Trace;

    /// <summary>The skb's nf_trace bit: set by the TRACE target (raw table), kept through every later hook; the
    /// rules set's <see cref="XtablesMonitor"/> then reports each rule, policy and return the packet meets.</summary>
    public bool TraceRequested;

    /// <summary>The packet's id in <c>xtables-monitor --trace</c> (0 until its first event).</summary>
    public uint XtablesTraceId;

    /// <summary>True from the start of a base chain until its first trace event, which carries the packet's headers.</summary>
    public bool XtablesHeaderPending;

    /// <summary>Set when the verdict is <see cref="NetfilterVerdict.Reject"/>.</summary>
    public RejectWith RejectWith;

    /// <summary>The NAT range chosen by the nat table on this hook (valid when <see cref="HasNatRange"/>).</summary>
    public NatRange NatRange;

    public bool HasNatRange;

    /// <summary>Number of LOG targets this packet hit.</summary>
    public int LogCount;

    public NetfilterPacket(ref FlowKey key, Span<byte> frame = default)
    {
        Key = ref key;
        Frame = frame;
    }

    /// <summary>The IP length used by counters.</summary>
    public readonly int CountedLength
    {
        get
        {
            if (Length > 0)
                return Length;
            int l3 = Key.Layout.L3Offset;
            return Frame.Length > l3 ? Frame.Length - l3 : 0;
        }
    }
}
