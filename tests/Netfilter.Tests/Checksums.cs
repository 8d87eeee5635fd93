using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

internal static class Checksums
{
    /// <summary>True when the IPv4 header checksum and the TCP/UDP checksum of an Ethernet/IPv4 frame verify.</summary>
    public static bool Valid(byte[] frame)
    {
        FlowKey.Extract(frame, 0, out var key);
        var ip = frame.AsSpan(key.Layout.L3Offset, key.Layout.L4Offset - key.Layout.L3Offset);
        if (Checksum.Fold(Checksum.Add(ip)) != 0)
            return false;
        var l4 = frame.AsSpan(key.Layout.L4Offset);
        uint sum = Checksum.PseudoHeaderV4(key.NwSrc, key.NwDst, key.NwProto, (ushort)l4.Length);
        return Checksum.Fold(Checksum.Add(l4, sum)) == 0;
    }
}
