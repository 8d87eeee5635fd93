using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// The network stack of a pod behind a bridge port, as far as a journey needs one: the pod's kernel answers ARP
/// requests for its address (arp_process with the defaults arp_ignore=0: a request for the pod's IP, broadcast or to
/// its MAC, gets a reply from its MAC to the asker). A scenario's pods are known endpoints, so a replay, a trace or the
/// demo lets them answer the host's ARP requests as the lab's pods do; a capture's frames stay what they are (a pod
/// answers only what reaches its port). The live daemon has none: its pods are real and answer themselves.
/// </summary>
public sealed class PodEndpoint(string name, Ipv4Address address, MacAddress mac)
{
    private const int EtherTypeOffset = 12;

    /// <summary>The pod's name (<c>default/backend1</c>).</summary>
    public string Name { get; } = name;
    public Ipv4Address Address { get; } = address;
    public MacAddress Mac { get; } = mac;

    /// <summary>The reply the pod sends to <paramref name="frame"/>, when it is an ARP request for the pod's address addressed to it; else null.</summary>
    public byte[]? AnswerArp(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeader.Length + ArpPacket.Length || BinaryPrimitives.ReadUInt16BigEndian(frame[EtherTypeOffset..]) != EtherTypes.Arp)
            return null;
        var dst = new MacAddress(BinaryPrimitives.ReadUInt64BigEndian(frame) >> 16);
        if (dst != Mac && dst != MacAddress.Broadcast)
            return null;
        if (!ArpPacket.TryRead(frame[EthernetHeader.Length..], out var arp) || arp.Operation != ArpPacket.OpRequest
            || arp.HardwareType != ArpPacket.HardwareTypeEthernet || arp.ProtocolType != EtherTypes.IPv4 || arp.TargetProtocolAddress != Address)
            return null;
        return PacketBuilder.Arp(ArpPacket.OpReply, Mac, Address, arp.SenderHardwareAddress, arp.SenderProtocolAddress, Mac, arp.SenderHardwareAddress);
    }

    public override string ToString() => $"{Name} ({Address} at {Mac})";
}
