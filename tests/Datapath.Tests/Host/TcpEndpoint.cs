using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Host;

/// <summary>
/// A minimal TCP endpoint inside a pod for driving conversations through the emulated cluster: it builds its
/// segments (to its gateway's MAC, with its own sequence numbers) and checks every segment it receives is the
/// next one in order from the peer it expects (after NAT: the frontend sees the service address).
/// </summary>
internal sealed class TcpEndpoint(string node, string port, MacAddress mac, MacAddress gatewayMac, Ipv4Address ip, ushort localPort,
    Ipv4Address peerIp, ushort peerPort, uint initialSeq)
{
    private uint _snd = initialSeq;
    private uint _rcv;

    public string Node { get; } = node;
    public string Port { get; } = port;
    public List<byte[]> Received { get; } = [];

    public byte[] Segment(TcpFlags flags, ReadOnlySpan<byte> payload = default)
    {
        bool syn = (flags & TcpFlags.Syn) != 0;
        var options = syn ? PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7) : default;
        var f = PacketBuilder.Tcp(mac, gatewayMac, ip, peerIp, localPort, peerPort, flags, _snd, (flags & TcpFlags.Ack) != 0 ? _rcv : 0,
            window: 64860, options: options, payload: payload);
        _snd += (uint)payload.Length + (syn ? 1u : 0u) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
        return f;
    }

    /// <summary>Accepts a segment: addressed to us from the expected peer, in sequence, acknowledging what we sent.</summary>
    public void Receive(byte[] frame)
    {
        FlowKey.Extract(frame, 0, out var k);
        Assert.Equal(mac, k.DlDst);
        Assert.Equal(peerIp, k.Ipv4Src);
        Assert.Equal(peerPort, k.TpSrc);
        Assert.Equal(ip, k.Ipv4Dst);
        Assert.Equal(localPort, k.TpDst);
        var tcp = frame.AsSpan(k.Layout.L4Offset);
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        uint ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        var flags = (TcpFlags)k.TcpFlags;
        if ((flags & TcpFlags.Syn) != 0)
            _rcv = seq;
        else
            Assert.Equal(_rcv, seq);
        if ((flags & TcpFlags.Ack) != 0)
            Assert.Equal(_snd, ack);
        int payload = frame.Length - k.Layout.PayloadOffset;
        _rcv = seq + (uint)payload + ((flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
        Received.Add(frame.AsSpan(k.Layout.PayloadOffset).ToArray());
    }
}
