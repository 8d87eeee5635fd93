using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>A packet's conntrack state as iptables' <c>-m conntrack --ctstate</c> sees it.</summary>
public enum NfCtState : byte
{
    /// <summary>Not trackable or outside the TCP windows (INVALID).</summary>
    Invalid,
    /// <summary>A first packet, or a packet of the original direction before any reply (NEW).</summary>
    New,
    /// <summary>A reply, or a packet of a connection that has seen one (ESTABLISHED).</summary>
    Established,
    /// <summary>An ICMP error about a tracked connection (RELATED).</summary>
    Related,
}

/// <summary>Which half of a connection's NAT a hook applies (the kernel's NF_NAT_MANIP_SRC/DST):
/// PREROUTING and OUTPUT translate the destination, POSTROUTING and INPUT the source.</summary>
public enum NatManip : byte
{
    Source,
    Destination,
}

/// <summary>
/// The connection a packet belongs to, as the kernel attaches it to an skb (nfct + ctinfo): its
/// state, direction, tuples, mark and NAT status. A new connection is <em>unconfirmed</em> until
/// <see cref="ConnectionTracker.NfConfirm"/> inserts it; until then nat rules may bind it.
/// </summary>
public readonly struct NfConntrack
{
    internal NfConntrack(Connection? connection, NfCtState state, bool isReply, bool isConfirmed)
    {
        Connection = connection;
        State = state;
        IsReply = isReply;
        IsConfirmed = isConfirmed;
    }

    internal Connection? Connection { get; }

    public NfCtState State { get; }

    /// <summary>The packet travels in the reply direction (--ctdir REPLY).</summary>
    public bool IsReply { get; }

    /// <summary>The connection is in the table (false for a new one until NfConfirm).</summary>
    public bool IsConfirmed { get; }

    /// <summary>False for packets that could not be tracked (then only <see cref="State"/> = Invalid is meaningful).</summary>
    public bool HasConnection => Connection is not null;

    /// <summary>The original-direction tuple before NAT (--ctorigsrc, --ctorigdst, --ctorigsrcport, --ctorigdstport).</summary>
    public CtTuple Original => Connection is null ? default : CtTuple.FromKey(Connection.Orig);

    /// <summary>The reply-direction tuple after NAT (--ctreplsrc, --ctrepldst).</summary>
    public CtTuple Reply => Connection is null ? default : CtTuple.FromKey(Connection.Reply);

    /// <summary>The connection mark (-m connmark, CONNMARK).</summary>
    public uint Mark => Connection?.Mark ?? 0;

    /// <summary>The connection's zone (-j CT --zone).</summary>
    public ushort Zone => Connection?.Zone ?? 0;

    /// <summary><see cref="CtStateFlags.SrcNat"/>/<see cref="CtStateFlags.DstNat"/> of the bindings (--ctstate SNAT,DNAT).</summary>
    public CtStateFlags NatStatus => Connection is null ? CtStateFlags.None : (CtStateFlags)Connection.NatAction;

    /// <summary>The Linux TCP state (--ctstatus ... and conntrack -L's state column).</summary>
    public TcpState TcpState
    {
        get
        {
            if (Connection is null)
                return TcpState.None;
            lock (Connection)
                return Connection.GetTcpState();
        }
    }
}
