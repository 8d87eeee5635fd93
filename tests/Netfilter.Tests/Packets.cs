using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>Keys and frames for the tests (frames from PacketBuilder, keys from FlowKey.Extract).</summary>
internal static class Packets
{
    public static readonly MacAddress FrontendMac = MacAddress.Parse("1a:2b:3c:4d:5e:6f");
    public static readonly MacAddress GatewayMac = MacAddress.Parse("aa:bb:cc:dd:ee:01");

    public static uint Ip(string s) => Ipv4Address.Parse(s).Value;

    public static byte[] TcpFrame(string src, ushort sport, string dst, ushort dport, TcpFlags flags = TcpFlags.Syn)
        => PacketBuilder.Tcp(FrontendMac, GatewayMac, Ipv4Address.Parse(src), Ipv4Address.Parse(dst), sport, dport, flags, seq: 1000);

    public static byte[] UdpFrame(string src, ushort sport, string dst, ushort dport)
        => PacketBuilder.Udp(FrontendMac, GatewayMac, Ipv4Address.Parse(src), Ipv4Address.Parse(dst), sport, dport, [1, 2, 3]);

    public static FlowKey Key(byte[] frame, CtStateFlags ct = CtStateFlags.Tracked | CtStateFlags.New)
    {
        FlowKey.Extract(frame, 2, out var key);
        key.CtState = (uint)ct;
        return key;
    }

    public static FlowKey Tcp(string src, ushort sport, string dst, ushort dport, TcpFlags flags = TcpFlags.Syn)
        => Key(TcpFrame(src, sport, dst, dport, flags));

    public static FlowKey Udp(string src, ushort sport, string dst, ushort dport) => Key(UdpFrame(src, sport, dst, dport));
}
