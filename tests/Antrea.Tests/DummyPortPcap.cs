using System.Buffers.Binary;

namespace Datapath.Antrea.Tests;

/// <summary>The frames a dummy port of the headless OVS transmitted so far, read from its <c>tx_pcap</c> (classic pcap, written as frames leave).</summary>
internal static class DummyPortPcap
{
    /// <summary>Every whole record of <paramref name="file"/> (none when the file is not there yet).</summary>
    public static List<byte[]> Read(string file)
    {
        var frames = new List<byte[]>();
        if (!File.Exists(file))
            return frames;
        byte[] data;
        using (var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            data = new byte[fs.Length];
            fs.ReadExactly(data);
        }
        for (int off = 24; off + 16 <= data.Length;)
        {
            int caplen = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(off + 8));
            if (off + 16 + caplen > data.Length)
                break;
            frames.Add(data.AsSpan(off + 16, caplen).ToArray());
            off += 16 + caplen;
        }
        return frames;
    }
}
