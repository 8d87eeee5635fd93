using Datapath.Packets;

namespace Datapath.Benchmarks.Conntrack;

/// <summary>Frames for the conntrack benchmarks: UDP flow i is 10.x.y.z:(1024 + i % 60000) → 10.200.0.1:53.</summary>
internal static class ConntrackFrames
{
    private static readonly MacAddress MacA = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress MacB = MacAddress.Parse("02:00:00:00:00:02");

    private static Ipv4Address Client(int i) => new(0x0A000000u | (uint)(i / 60000 + 1) << 8 | (uint)(i % 251));

    public static byte[] Request(int i) => PacketBuilder.Udp(MacA, MacB, Client(i), new Ipv4Address(0x0AC80001), (ushort)(1024 + i % 60000), 53, new byte[16]);

    public static byte[] Reply(int i) => PacketBuilder.Udp(MacB, MacA, new Ipv4Address(0x0AC80001), Client(i), 53, (ushort)(1024 + i % 60000), new byte[16]);

    public static FlowKey Key(byte[] frame)
    {
        FlowKey.Extract(frame, 1, out var key);
        return key;
    }
}
