using System.Buffers.Binary;

namespace Datapath.Packets.Tests;

/// <summary>
/// The smallest classic pcap writer (little-endian, microsecond timestamps, LINKTYPE_ETHERNET),
/// so tests can hand frames to tshark without depending on src/Io: a 24-byte global header,
/// then a 16-byte record header per frame.
/// </summary>
internal static class PcapTestWriter
{
    public static void Write(string path, IEnumerable<byte[]> frames)
    {
        using var s = File.Create(path);
        Span<byte> g = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(g, 0xa1b2c3d4);   // magic: microseconds
        BinaryPrimitives.WriteUInt16LittleEndian(g[4..], 2);       // version 2.4
        BinaryPrimitives.WriteUInt16LittleEndian(g[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(g[16..], 65535);  // snaplen
        BinaryPrimitives.WriteUInt32LittleEndian(g[20..], 1);      // LINKTYPE_ETHERNET
        s.Write(g);
        uint second = 1_700_000_000;
        Span<byte> r = stackalloc byte[16];
        foreach (var f in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(r, second++);
            BinaryPrimitives.WriteUInt32LittleEndian(r[4..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(r[8..], (uint)f.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(r[12..], (uint)f.Length);
            s.Write(r);
            s.Write(f);
        }
    }
}
