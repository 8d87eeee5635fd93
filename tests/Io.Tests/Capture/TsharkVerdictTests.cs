using Datapath.Io.Capture;
using Datapath.Packets;
using static Datapath.Io.Tests.Capture.RawCaptures;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// A table of odd and broken captures, each read by tshark (Wireshark 4.0's wiretap) and by us: we
/// refuse exactly what tshark refuses, with InputException, after delivering exactly the frames
/// tshark printed before its error, and we read what it reads, with its lengths (and, where its
/// arithmetic is exact, its timestamps). The one deliberate difference, a non-Ethernet link type,
/// is not in the table (CorruptFileTests).
/// </summary>
public class TsharkVerdictTests
{
    /// <param name="FramesBefore">For a file tshark refuses: the frames that precede the fault. tshark's own count there
    /// is no judge: when a pcap record is bad, wiretap tries the modified-pcap variants (other record header sizes)
    /// and prints frames of whichever it settles on.</param>
    private sealed record Case(string Extension, byte[] File, bool CompareTimes = false, int FramesBefore = -1);

    private static byte[] Pcap(params byte[][] parts) => [.. PcapHeader(), .. parts.SelectMany(p => p)];
    private static byte[] Ng(params byte[][] parts) => [.. Shb(), .. Idb(), .. parts.SelectMany(p => p)];
    private static byte[] Good(uint s) => PcapRecord(s, 0, Frame60);
    private static byte[] GoodEpb(ulong ts) => Epb(ts, Frame60);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // pcap: what tshark reads
        ["pcap ts_sec 0xffffffff is 2106, not -1"] = new(".pcap", Pcap(PcapRecord(0xFFFFFFFF, 999_999, Frame60)), CompareTimes: true),
        ["pcap ts_sec 2^31 is 2038"] = new(".pcap", Pcap(PcapRecord(0x80000000, 0, Frame60)), CompareTimes: true),
        ["pcap fraction of 2 s in microseconds"] = new(".pcap", Pcap(PcapRecord(1, 2_000_000, Frame60))),
        ["pcap captured length over the original length"] = new(".pcap", Pcap(PcapRecord(1, 0, Frame60, originalLength: 40))),
        ["pcap captured length over the header's snap length"] = new(".pcap", [.. PcapHeader(snapLength: 50), .. Good(1)]),
        ["pcap record of 262144 bytes"] = new(".pcap", Pcap(PcapRecord(1, 0, new byte[262144]))),
        ["pcap snap length 0xffffffff"] = new(".pcap", [.. PcapHeader(snapLength: 0xFFFFFFFF), .. Good(1)]),
        ["pcap snap length 0"] = new(".pcap", [.. PcapHeader(snapLength: 0), .. Good(1)]),
        ["pcap version 3.4"] = new(".pcap", [.. PcapHeader(major: 3), .. Good(1)]),
        ["pcap version 2.9"] = new(".pcap", [.. PcapHeader(minor: 9), .. Good(1)]),
        ["pcap empty record"] = new(".pcap", Pcap(PcapRecord(1, 0, []))),
        ["pcap original length 0xffffffff"] = new(".pcap", Pcap(PcapRecord(1, 0, Frame60, originalLength: 0xFFFFFFFF))),
        ["pcap link type with FCS bits"] = new(".pcap", [.. PcapHeader(linkType: 0x1000_0001), .. Good(1)]),
        ["pcap nanoseconds"] = new(".pcap", [.. PcapHeader(magic: PcapNanoseconds), .. PcapRecord(5, 999_999_999, Frame60)], CompareTimes: true),
        // pcap: what tshark refuses
        ["pcap record of 262145 bytes"] = new(".pcap", Pcap(Good(1), PcapRecord(2, 0, new byte[262145])), FramesBefore: 1),
        ["pcap captured length 0xffffffff"] = new(".pcap", Pcap(Good(1), PcapRecord(2, 0, Frame60, capturedLength: 0xFFFFFFFF)), FramesBefore: 1),
        ["pcap version 1.0"] = new(".pcap", [.. PcapHeader(major: 1, minor: 0), .. Good(1)], FramesBefore: 0),
        ["pcap cut in a record header"] = new(".pcap", Pcap(Good(1), Good(2))[..(24 + 76 + 10)], FramesBefore: 1),
        ["pcap cut in a record's data"] = new(".pcap", Pcap(Good(1), Good(2))[..(24 + 76 + 30)], FramesBefore: 1),
        ["pcap file header cut short"] = new(".pcap", PcapHeader()[..20], FramesBefore: 0),

        // pcapng: what tshark reads
        ["pcapng 2^64-1 microseconds"] = new(".pcapng", Ng(GoodEpb(ulong.MaxValue)), CompareTimes: true),
        ["pcapng 2^33 s in microseconds"] = new(".pcapng", Ng(GoodEpb((1UL << 33) * 1_000_000 + 5)), CompareTimes: true),
        ["pcapng if_tsresol 2^-30"] = new(".pcapng", [.. Shb(), .. Idb(TsResol(0x80 | 30)), .. GoodEpb(1_700_000_000UL * (1 << 30) + 123_456_789)], CompareTimes: true),
        ["pcapng if_tsresol 10^0"] = new(".pcapng", [.. Shb(), .. Idb(TsResol(0)), .. GoodEpb(1UL << 40)], CompareTimes: true),
        ["pcapng if_tsresol 10^-12"] = new(".pcapng", [.. Shb(), .. Idb(TsResol(12)), .. GoodEpb(10_000_000_000_123_456)], CompareTimes: true),
        ["pcapng if_tsresol 10^-19"] = new(".pcapng", [.. Shb(), .. Idb(TsResol(19)), .. GoodEpb(ulong.MaxValue)]),
        ["pcapng if_tsresol 10^-20"] = new(".pcapng", [.. Shb(), .. Idb(TsResol(20)), .. GoodEpb(5)]),
        ["pcapng if_tsresol 2^-64"] = new(".pcapng", [.. Shb(), .. Idb(TsResol(0x80 | 64)), .. GoodEpb(5)]),
        ["pcapng if_tsresol 2^-127"] = new(".pcapng", [.. Shb(), .. Idb(TsResol(0xFF)), .. GoodEpb(5)]),
        ["pcapng negative if_tsoffset"] = new(".pcapng", [.. Shb(), .. Idb(TsResolOffset(9, -100)), .. GoodEpb(5)], CompareTimes: true),
        ["pcapng before 1970 by half a second"] = new(".pcapng", [.. Shb(), .. Idb(TsResolOffset(9, -1)), .. GoodEpb(500_000_000)], CompareTimes: true),
        ["pcapng the first of two if_tsresol"] = new(".pcapng", [.. Shb(), .. Idb([.. Option(9, [9]), .. Option(9, [6]), .. EndOfOptions]), .. GoodEpb(5)], CompareTimes: true),
        ["pcapng empty if_tsresol"] = new(".pcapng", [.. Shb(), .. Idb([.. Option(9, []), .. EndOfOptions]), .. GoodEpb(5)], CompareTimes: true),
        ["pcapng captured length over the original length"] = new(".pcapng", Ng(Epb(5, Frame60, originalLength: 40))),
        ["pcapng captured length over the snap length"] = new(".pcapng", [.. Shb(), .. Idb(snapLength: 30), .. GoodEpb(5)]),
        ["pcapng original length 0xffffffff"] = new(".pcapng", Ng(Epb(5, Frame60, originalLength: 0xFFFFFFFF))),
        ["pcapng SHB version 1.2"] = new(".pcapng", [.. Shb(1, 2), .. Idb(), .. GoodEpb(5)]),
        ["pcapng obsolete Packet Block"] = new(".pcapng", Ng(Block(2, [.. U16(0), .. U16(0), .. U32(0), .. U32(5), .. U32(60), .. U32(60), .. Frame60]), GoodEpb(6))),
        ["pcapng Packet Block captured over original"] = new(".pcapng", Ng(Block(2, [.. U16(0), .. U16(0), .. U32(0), .. U32(5), .. U32(60), .. U32(30), .. Frame60]))),
        ["pcapng unknown block of 3 MiB"] = new(".pcapng", Ng(GoodEpb(5), Block(0x40, new byte[3 << 20]), GoodEpb(6))),
        ["pcapng Enhanced Packet Block with 2.4 MB of options"] = new(".pcapng",
            Ng(Block(6, [.. U32(0), .. U32(0), .. U32(5), .. U32(60), .. U32(60), .. Frame60,
                .. Enumerable.Repeat(Option(1, new byte[60000]), 40).SelectMany(o => o), .. EndOfOptions]), GoodEpb(6))),
        // pcapng: what tshark refuses
        ["pcapng captured length 262145"] = new(".pcapng", Ng(GoodEpb(4), Epb(5, new byte[262145])), FramesBefore: 1),
        ["pcapng captured length 0xffffffff"] = new(".pcapng", Ng(GoodEpb(4), Epb(5, Frame60, capturedLength: 0xFFFFFFFF)), FramesBefore: 1),
        ["pcapng captured length past the block"] = new(".pcapng", Ng(GoodEpb(4), Epb(5, Frame60, capturedLength: 64)), FramesBefore: 1),
        ["pcapng packet before any interface"] = new(".pcapng", [.. Shb(), .. GoodEpb(5)], FramesBefore: 0),
        ["pcapng packet of an undescribed interface"] = new(".pcapng", Ng(Epb(5, Frame60, interfaceId: 1)), FramesBefore: 0),
        ["pcapng SHB version 1.1"] = new(".pcapng", [.. Shb(1, 1), .. Idb(), .. GoodEpb(5)], FramesBefore: 0),
        ["pcapng SHB version 1.3"] = new(".pcapng", [.. Shb(1, 3), .. Idb(), .. GoodEpb(5)], FramesBefore: 0),
        ["pcapng SHB version 2.0"] = new(".pcapng", [.. Shb(2, 0), .. Idb(), .. GoodEpb(5)], FramesBefore: 0),
        ["pcapng block length not a multiple of 4"] = new(".pcapng", Ng(GoodEpb(4), Block(6, GoodEpb(5)[8..^4], 93)), FramesBefore: 1),
        ["pcapng trailing length differs"] = new(".pcapng", Ng(GoodEpb(4), GoodEpb(5)[..^4], U32(76), GoodEpb(6)), FramesBefore: 1),
        ["pcapng option past its block"] = new(".pcapng", [.. Shb(), .. Idb([.. U16(2), .. U16(200), .. "eth0"u8.ToArray()]), .. GoodEpb(5)], FramesBefore: 0),
        ["pcapng Interface Description Block too short"] = new(".pcapng", [.. Shb(), .. Block(1, [1, 0, 0, 0]), .. GoodEpb(5)], FramesBefore: 0),
        ["pcapng Enhanced Packet Block too short"] = new(".pcapng", Ng(Block(6, new byte[8])), FramesBefore: 0),
        ["pcapng block length 8"] = new(".pcapng", Ng(GoodEpb(4), BlockHeader(6, 8), new byte[8]), FramesBefore: 1),
        ["pcapng block claims 128 MiB + 1 KiB"] = new(".pcapng", Ng(GoodEpb(4), BlockHeader(0x40, (128 << 20) + (129 << 10)), new byte[100]), FramesBefore: 1),
        ["pcapng block claims 64 MiB, file ends"] = new(".pcapng", Ng(GoodEpb(4), BlockHeader(0x40, 64 << 20), new byte[100]), FramesBefore: 1),
        ["pcapng packet block claims 64 MiB, file ends"] = new(".pcapng", Ng(GoodEpb(4), BlockHeader(6, 64 << 20), new byte[100]), FramesBefore: 1),
        ["pcapng cut in a block"] = new(".pcapng", Ng(GoodEpb(4), GoodEpb(5))[..^10], FramesBefore: 1),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void We_refuse_what_tshark_refuses_and_read_what_it_reads(string name)
    {
        var c = Cases[name];
        var judge = Tshark.Fields(c.File, c.Extension, "frame.len", "frame.cap_len", "frame.time_epoch");

        var delivered = new List<TestCaptures.ReadFrame>();
        InputException? refusal = null;
        try
        {
            using var r = PacketFileReader.Open(new MemoryStream(c.File), "case" + c.Extension);
            while (r.TryReadNext(out var f))
                delivered.Add(TestCaptures.Copy(f));
        }
        catch (InputException e)
        {
            refusal = e;
        }

        Assert.True(judge.Accepted == (refusal is null),
            $"{name}: tshark {(judge.Accepted ? "reads it" : "refuses it: " + judge.Stderr.Trim())}; we {(refusal is null ? "read it" : "refuse it: " + refusal.Message)}");
        Assert.Equal(refusal is null ? judge.Rows.Count : c.FramesBefore, delivered.Count);
        for (int i = 0; i < delivered.Count && refusal is null; i++)
        {
            Assert.Equal(judge.Rows[i][0], Math.Min(delivered[i].OriginalLength, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(judge.Rows[i][1], delivered[i].Data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (c.CompareTimes)
                Assert.Equal(Tshark.EpochNanoseconds(judge.Rows[i][2]), delivered[i].TimestampNanoseconds);
        }
        if (refusal is not null)
        {
            Assert.Equal("case" + c.Extension, refusal.File);
            Assert.InRange(refusal.Offset, 0, c.File.Length - 1);
        }
    }
}
