using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>Frames and their keys for the tests (built by Packets' PacketBuilder, keyed by FlowKey.Extract).</summary>
internal sealed class Pkt
{
    public static readonly MacAddress MacA = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    public static readonly MacAddress MacB = MacAddress.Parse("4e:99:08:c1:53:be");

    public byte[] Frame;
    public FlowKey Key;

    private Pkt(byte[] frame)
    {
        Frame = frame;
        FlowKey.Extract(frame, 1, out Key);
    }

    public static Pkt Of(byte[] frame) => new(frame);

    public static Pkt Tcp(string src, ushort sport, string dst, ushort dport, TcpFlags flags, uint seq = 0, uint ack = 0,
        ushort window = 64240, int payload = 0, ReadOnlySpan<byte> options = default)
        => new(PacketBuilder.Tcp(MacA, MacB, Ipv4Address.Parse(src), Ipv4Address.Parse(dst), sport, dport, flags, seq, ack, window,
            options, new byte[payload]));

    public static Pkt Udp(string src, ushort sport, string dst, ushort dport, int payload = 4)
        => new(PacketBuilder.Udp(MacA, MacB, Ipv4Address.Parse(src), Ipv4Address.Parse(dst), sport, dport, new byte[payload]));

    public static Pkt Echo(string src, string dst, bool reply, ushort id, ushort seq = 1)
        => new(PacketBuilder.IcmpEcho(MacA, MacB, Ipv4Address.Parse(src), Ipv4Address.Parse(dst), reply, id, seq));

    public CtStateFlags State => (CtStateFlags)Key.CtState;

    /// <summary>Runs ct() on this packet and returns its ct_state.</summary>
    public CtStateFlags Ct(ConnectionTracker t, in CtCommand cmd, long nowMs = 0)
    {
        t.Execute(ref Key, Frame, cmd, nowMs);
        return State;
    }

    public static CtCommand Lookup(ushort zone = 65520) => new(zone);

    public static CtCommand Commit(ushort zone = 65520) => new(zone, commit: true);

    public const CtStateFlags NewTrk = CtStateFlags.New | CtStateFlags.Tracked;
    public const CtStateFlags EstTrk = CtStateFlags.Established | CtStateFlags.Tracked;
    public const CtStateFlags EstRplTrk = CtStateFlags.Established | CtStateFlags.Reply | CtStateFlags.Tracked;
    public const CtStateFlags InvTrk = CtStateFlags.Invalid | CtStateFlags.Tracked;
}
