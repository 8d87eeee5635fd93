using Datapath.Packets;
using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

public class CorruptFileTests
{
    private static InputException ReadExpectingError(byte[] file, out int delivered)
    {
        delivered = 0;
        using var r = PacketFileReader.Open(new MemoryStream(file), "bad.cap");
        try
        {
            while (r.TryReadNext(out _))
                delivered++;
        }
        catch (InputException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("no InputException");
    }

    [Fact]
    public void Unknown_magic_is_rejected_at_offset_0()
    {
        var ex = Assert.Throws<InputException>(() => TestCaptures.ReadAll("GET / HTTP/1.1\r\n"u8.ToArray()));
        Assert.Equal(0, ex.Offset);
        Assert.Contains("not a pcap or pcapng file", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_is_rejected()
    {
        var ex = Assert.Throws<InputException>(() => TestCaptures.ReadAll([]));
        Assert.Contains("empty", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcap_with_another_link_type_names_it()
    {
        byte[] file = TestCaptures.WritePcap([]);
        file[20] = 113; // LINKTYPE_LINUX_SLL
        var ex = Assert.Throws<InputException>(() => TestCaptures.ReadAll(file));
        Assert.Equal(20, ex.Offset);
        Assert.Contains("link type 113", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcap_captured_length_beyond_the_snap_length_is_corrupt_and_earlier_frames_are_delivered()
    {
        var frames = TestCaptures.Frames(3);
        byte[] file = TestCaptures.WritePcap(frames, snapLength: 262144);
        long third = 24 + 16 + frames[0].Data.Length + 16 + frames[1].Data.Length;
        file[third + 8 + 3] = 0x7f; // incl_len (little-endian) becomes > 2^30

        var ex = ReadExpectingError(file, out int delivered);
        Assert.Equal(2, delivered);
        Assert.Equal(third + 8, ex.Offset);
        Assert.Contains("more than the maximum of 262144", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_mismatched_trailing_length_is_corrupt()
    {
        var b = new PcapngBuilder().Section(false).Interface("eth0").Enhanced(0, 1, new byte[60]);
        long second = b.Position;
        b.Enhanced(0, 2, new byte[60]);
        byte[] file = b.ToArray();
        file[^4] ^= 0x10;

        var ex = ReadExpectingError(file, out int delivered);
        Assert.Equal(1, delivered);
        Assert.Equal(file.Length - 4, ex.Offset);
        Assert.Contains("trailing block total length", ex.What, StringComparison.Ordinal);
        _ = second;
    }

    [Fact]
    public void Pcapng_block_length_not_a_multiple_of_4_is_corrupt()
    {
        var b = new PcapngBuilder().Section(false).Interface("eth0");
        long epb = b.Position;
        byte[] file = b.Enhanced(0, 1, new byte[60]).ToArray();
        file[epb + 4] += 2;

        var ex = ReadExpectingError(file, out _);
        Assert.Equal(epb + 4, ex.Offset);
        Assert.Contains("invalid block total length", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_packet_of_an_undescribed_interface_is_corrupt()
    {
        var b = new PcapngBuilder().Section(false).Interface("eth0");
        long epb = b.Position;
        byte[] file = b.Enhanced(1, 1, new byte[60]).ToArray();

        var ex = ReadExpectingError(file, out int delivered);
        Assert.Equal(0, delivered);
        Assert.Equal(epb + 8, ex.Offset);
        Assert.Contains("interface id 1", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_captured_length_past_the_block_is_corrupt()
    {
        var b = new PcapngBuilder().Section(false).Interface("eth0");
        long epb = b.Position;
        byte[] file = b.Enhanced(0, 1, new byte[60], withOptions: false).ToArray();
        file[epb + 20] = 65; // captured length 65 > 60 bytes of data

        var ex = ReadExpectingError(file, out _);
        Assert.Equal(epb + 20, ex.Offset);
        Assert.Contains("runs past the end", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_option_running_past_its_block_is_corrupt()
    {
        var b = new PcapngBuilder().Section(false);
        long idb = b.Position;
        byte[] file = b.Interface("eth0").ToArray();
        file[idb + 16 + 2] = 200; // if_name length 200

        var ex = ReadExpectingError(file, out _);
        Assert.Equal(idb + 16, ex.Offset);
        Assert.Contains("option 2", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_bad_byte_order_magic_is_corrupt()
    {
        byte[] file = new PcapngBuilder().Section(false).ToArray();
        file[8] = 0;
        var ex = Assert.Throws<InputException>(() => TestCaptures.ReadAll(file));
        Assert.Equal(8, ex.Offset);
        Assert.Contains("byte-order magic", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_interface_with_another_link_type_fails_at_its_first_packet()
    {
        var b = new PcapngBuilder().Section(false).Interface("eth0").Interface("any", linkType: 113)
            .Enhanced(0, 1, new byte[60]);
        long second = b.Position;
        byte[] file = b.Enhanced(1, 2, new byte[60]).ToArray();

        var ex = ReadExpectingError(file, out int delivered);
        Assert.Equal(1, delivered);
        Assert.Equal(second + 8, ex.Offset);
        Assert.Contains("link type 113", ex.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_bad_input_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.pcap");
        var ex = Assert.Throws<InputException>(() => PacketFileReader.Open(path));
        Assert.Equal(path, ex.File);
        Assert.Equal("no such file", ex.What);
    }

    [Fact]
    public void A_directory_is_bad_input_not_permission_denied()
    {
        string dir = Path.GetTempPath();
        var ex = Assert.Throws<InputException>(() => PacketFileReader.Open(dir));
        Assert.Equal(dir, ex.File);
        Assert.Equal(-1, ex.Offset);
        Assert.StartsWith("is a directory", ex.What, StringComparison.Ordinal);
    }
}
