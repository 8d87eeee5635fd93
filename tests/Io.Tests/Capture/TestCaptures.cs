using System.Buffers.Binary;
using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

/// <summary>Deterministic test frames and helpers to write and read them.</summary>
internal static class TestCaptures
{
    public sealed record Frame(byte[] Data, Int128 TimestampNanoseconds, int OriginalLength, int InterfaceIndex = 0);

    /// <summary>Frames of 60..1514 bytes with distinct contents and increasing nanosecond timestamps.</summary>
    public static List<Frame> Frames(int count, int seed = 1, int interfaces = 1)
    {
        var rng = new Random(seed);
        var frames = new List<Frame>(count);
        long ts = 1_700_000_000_123_456_789L;
        for (int i = 0; i < count; i++)
        {
            var data = new byte[rng.Next(60, 1515)];
            rng.NextBytes(data);
            BinaryPrimitives.WriteInt32BigEndian(data, i); // frame number in the destination MAC: every frame differs
            ts += rng.Next(1, 2_000_000_000);
            frames.Add(new Frame(data, ts, data.Length + (i % 3 == 0 ? 0 : rng.Next(0, 100)), i % interfaces));
        }
        return frames;
    }

    public static byte[] WritePcap(IEnumerable<Frame> frames, PcapTimestampResolution resolution = PcapTimestampResolution.Microsecond,
        bool bigEndian = false, int snapLength = 262144)
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, resolution, snapLength, bigEndian, leaveOpen: true))
        {
            foreach (var f in frames)
                w.WriteFrame(f.Data, f.TimestampNanoseconds, f.OriginalLength);
        }
        return ms.ToArray();
    }

    public static byte[] WritePcapng(IEnumerable<Frame> frames, string?[] interfaceNames,
        PcapTimestampResolution resolution = PcapTimestampResolution.Nanosecond, bool bigEndian = false)
    {
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms, resolution, bigEndian, leaveOpen: true))
        {
            foreach (var n in interfaceNames)
                w.AddInterface(n);
            foreach (var f in frames)
                w.WriteFrame(f.InterfaceIndex, f.Data, f.TimestampNanoseconds, f.OriginalLength);
        }
        return ms.ToArray();
    }

    /// <summary>A frame copied out of the reader's buffer.</summary>
    public sealed record ReadFrame(byte[] Data, Int128 TimestampNanoseconds, int OriginalLength, int InterfaceIndex, string? InterfaceName, long FileOffset);

    public static List<ReadFrame> ReadAll(byte[] file, string name = "test.cap")
    {
        using var r = PacketFileReader.Open(new MemoryStream(file), name);
        return ReadAll(r);
    }

    public static List<ReadFrame> ReadAll(IFrameReader r)
    {
        var list = new List<ReadFrame>();
        while (r.TryReadNext(out var f))
            list.Add(Copy(f));
        return list;
    }

    /// <summary>
    /// Bytes allocated on this thread while a reader from <paramref name="open"/> reads every frame
    /// after the first <paramref name="skip"/>: the least of three rounds (stopping at 0).  A
    /// reader's one buffer growth rents from ArrayPool.Shared, whose per-thread cache a gen-2 GC
    /// (other tests allocate in parallel) may have trimmed, and then that growth allocates once; a
    /// per-frame allocation shows in every round.  Asserts each round read over a megabyte.
    /// </summary>
    public static long LeastAllocatedReading(Func<IFrameReader> open, int skip)
    {
        long least = long.MaxValue;
        for (int round = 0; round < 3 && least != 0; round++)
        {
            using IFrameReader r = open();
            for (int i = 0; i < skip; i++)
                Assert.True(r.TryReadNext(out _));
            long before = GC.GetAllocatedBytesForCurrentThread();
            long bytes = 0;
            while (r.TryReadNext(out var f))
                bytes += f.CapturedLength;
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(bytes > 1_000_000);
        }
        return least;
    }

    /// <summary>Everything a reader said of a frame, as text to compare (a record's byte[] compares by reference).</summary>
    public static string Describe(ReadFrame f)
        => $"@{f.FileOffset} if{f.InterfaceIndex}/{f.InterfaceName} t={f.TimestampNanoseconds} len={f.OriginalLength} {Convert.ToHexStringLower(f.Data)}";

    public static List<string> Describe(IEnumerable<ReadFrame> frames) => frames.Select(Describe).ToList();

    public static ReadFrame Copy(in CapturedFrame f)
        => new(f.Span.ToArray(), f.TimestampNanoseconds, f.OriginalLength, f.InterfaceIndex, f.InterfaceName, f.FileOffset);
}
