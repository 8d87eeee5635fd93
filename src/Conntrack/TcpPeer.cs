namespace Datapath.Conntrack;

/// <summary>One end of a tracked TCP connection (pf's struct tcp_peer): the sequence window it may send in.</summary>
internal struct TcpPeer
{
    /// <summary>Highest sequence number sent + 1 (end of the last segment).</summary>
    public uint SeqLo;
    /// <summary>Highest sequence number the other end acknowledged plus its window.</summary>
    public uint SeqHi;
    /// <summary>Largest window advertised, before scaling.</summary>
    public ushort MaxWindow;
    /// <summary>Window scale: low 4 bits the shift, <see cref="WscaleFlag"/> when negotiated,
    /// <see cref="WscaleUnknown"/> when picked up mid-stream.</summary>
    public byte Wscale;
    public PeerState State;

    public const byte WscaleFlag = 0x80;
    public const byte WscaleUnknown = 0x40;
    public const byte WscaleMask = 0x0f;
    public const int MaxWscale = 14;
}
