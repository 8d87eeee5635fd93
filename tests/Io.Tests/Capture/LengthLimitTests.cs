using Datapath.Io.Capture;
using Datapath.Packets;
using static Datapath.Io.Tests.Capture.RawCaptures;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// A length field that lies costs nothing: a record that claims 4 GiB is refused at its field
/// before anything is allocated for it, and a block that claims 64 MiB in a file of a few hundred
/// bytes is a truncation, buffered only as far as its bytes go.
/// </summary>
public class LengthLimitTests
{
    private static (InputException Error, long Allocated) ReadExpectingError(byte[] file)
    {
        using var r = PacketFileReader.Open(new MemoryStream(file), "lie.cap");
        long before = GC.GetAllocatedBytesForCurrentThread();
        InputException? error = null;
        try
        {
            while (r.TryReadNext(out _))
            {
            }
        }
        catch (InputException e)
        {
            error = e;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return (error ?? throw new Xunit.Sdk.XunitException("no InputException"), allocated);
    }

    [Fact]
    public void Pcap_captured_length_0xffffffff_is_refused_at_its_field_without_allocating_it()
    {
        byte[] file = [.. PcapHeader(snapLength: 0xFFFFFFFF), .. PcapRecord(1, 0, Frame60), .. PcapRecord(2, 0, Frame60, capturedLength: 0xFFFFFFFF)];
        var (e, allocated) = ReadExpectingError(file);
        Assert.Equal(24 + 76 + 8, e.Offset);
        Assert.Equal("record captures 4294967295 bytes, more than the maximum of 262144 (corrupt record header)", e.What);
        Assert.True(allocated < 64 << 10, $"{allocated} bytes allocated");
    }

    [Theory]
    [InlineData(0x40u)] // a block the reader skips
    [InlineData(6u)]    // an Enhanced Packet Block, which it buffers
    public void Pcapng_block_claiming_64_MiB_in_a_short_file_is_a_truncation_that_allocates_nothing_near_it(uint type)
    {
        byte[] head = [.. Shb(), .. Idb(), .. Epb(1, Frame60)];
        byte[] file = [.. head, .. BlockHeader(type, 64 << 20), .. new byte[200]];
        var (e, allocated) = ReadExpectingError(file);
        Assert.Equal(head.Length, e.Offset);
        Assert.StartsWith("truncated ", e.What, StringComparison.Ordinal);
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void Pcapng_block_over_wiresharks_maximum_is_refused_at_its_length()
    {
        byte[] head = [.. Shb(), .. Idb()];
        var (e, _) = ReadExpectingError([.. head, .. BlockHeader(0x40, 0xFFFFFFF0), .. new byte[64]]);
        Assert.Equal(head.Length + 4, e.Offset);
        Assert.Contains("invalid block total length 4294967280", e.What, StringComparison.Ordinal);
    }
}
