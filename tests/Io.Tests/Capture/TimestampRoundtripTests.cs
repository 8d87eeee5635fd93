using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// Any time a pcap or pcapng can hold is written by our writers and read back by our readers to
/// the nanosecond, and tshark reads the same time from the file: before 1970, past 2038 and 2106,
/// past 2^32 s, at if_tsresol 2^-30, 10^-12 and 10^0. (Where tshark 4.0's own arithmetic overflows,
/// 10^-12 fractions over 0.018 s or 10^0 past 2^63 s, the exact value is checked without it.)
/// </summary>
public class TimestampRoundtripTests
{
    private static readonly Int128 Second = CaptureTime.NanosecondsPerSecond;

    public static TheoryData<string, string> PcapTimes => new()
    {
        { "the epoch", "0" },
        { "2^31 s, past 2038", "2147483648000000001" },
        { "the last pcap second, 2106", "4294967295999999999" },
    };

    [Theory]
    [MemberData(nameof(PcapTimes))]
    public void Pcap_times_round_trip_and_tshark_agrees(string what, string nanoseconds)
    {
        Int128 ns = Int128.Parse(nanoseconds, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var resolution in new[] { PcapTimestampResolution.Nanosecond, PcapTimestampResolution.Microsecond })
        {
            Int128 expected = resolution == PcapTimestampResolution.Nanosecond ? ns : ns / 1000 * 1000;
            var ms = new MemoryStream();
            using (var w = new PcapWriter(ms, resolution, leaveOpen: true))
                w.WriteFrame(RawCaptures.Frame60, ns);
            byte[] file = ms.ToArray();

            Assert.Equal(expected, Assert.Single(TestCaptures.ReadAll(file)).TimestampNanoseconds);
            var judge = Tshark.Fields(file, ".pcap", "frame.time_epoch");
            Assert.True(judge.Accepted, what + ": " + judge.Stderr);
            Assert.Equal(expected, Tshark.EpochNanoseconds(Assert.Single(judge.Rows)[0]));
        }
    }

    [Fact]
    public void Pcap_writer_keeps_the_low_32_bits_of_seconds_it_cannot_hold_as_libpcap_does()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, PcapTimestampResolution.Nanosecond, leaveOpen: true))
        {
            w.WriteFrame(RawCaptures.Frame60, -Second / 2);             // 1969-12-31T23:59:59.5
            w.WriteFrame(RawCaptures.Frame60, (Int128)1 << 100);        // far past 2106
        }
        var read = TestCaptures.ReadAll(ms.ToArray());
        Assert.Equal((Int128)0xFFFFFFFF * Second + Second / 2, read[0].TimestampNanoseconds);
        var (seconds, fraction) = CaptureTime.Split((Int128)1 << 100);
        Assert.Equal((seconds & 0xFFFFFFFF) * Second + fraction, read[1].TimestampNanoseconds);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("-1000000000")]
    [InlineData("-1000000001")]
    [InlineData("999999999")]
    [InlineData("9223372036854775807")]   // long.MaxValue: the 64-bit path's edge
    [InlineData("-9223372036854775808")]  // long.MinValue
    [InlineData("9223372036854775808")]   // one past it: the Int128 path
    [InlineData("-9223372036854775809")]
    public void Split_floors_to_whole_seconds_on_either_side_of_the_64_bit_range(string text)
    {
        Int128 ns = Int128.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var (seconds, fraction) = CaptureTime.Split(ns);
        Assert.InRange(fraction, 0, 999_999_999);
        Assert.Equal(ns, seconds * Second + fraction);
    }

    public static TheoryData<string, byte, long, string> PcapngTimes => new()
    {
        { "nanoseconds past 2^33 s", 9, 0, "8589934592000000007" },
        { "microseconds past 2^40 s", 6, 0, "1099511627776000005000" },
        { "half a second before 1970 (if_tsoffset -1 s)", 9, -1, "-500000000" },
        { "year 1653 (if_tsoffset -1e10 s)", 9, -10_000_000_000, "-9999999999999999995" },
        { "if_tsoffset +2^40 s", 9, 1L << 40, "1099511627776000000005" },
        { "if_tsresol 2^-30", 0x80 | 30, 0, "1700000000114978094" },
        { "if_tsresol 2^-30 with a 2^-30 s not a whole ns", 0x80 | 30, 0, "1700000000000000001" },
        { "if_tsresol 10^-12 from an offset", 12, 1_700_000_000, "1700010000000000123" },
        { "if_tsresol 10^0", 0, 0, "1099511627776000000000" },
        { "if_tsresol 2^0", 0x80, 0, "12345000000000" },
        { "if_tsresol 10^-3", 3, 0, "1700000000123000000" },
    };

    [Theory]
    [MemberData(nameof(PcapngTimes))]
    public void Pcapng_times_round_trip_and_tshark_agrees(string what, byte tsresol, long tsoffset, string nanoseconds)
    {
        Int128 ns = Int128.Parse(nanoseconds, System.Globalization.CultureInfo.InvariantCulture);
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms, leaveOpen: true))
        {
            w.AddInterface("eth0", timestampResolution: tsresol, timestampOffsetSeconds: tsoffset);
            w.WriteFrame(0, RawCaptures.Frame60, ns);
        }
        byte[] file = ms.ToArray();

        Assert.Equal(ns, Assert.Single(TestCaptures.ReadAll(file)).TimestampNanoseconds);
        var judge = Tshark.Fields(file, ".pcapng", "frame.time_epoch");
        Assert.True(judge.Accepted, what + ": " + judge.Stderr);
        Assert.Equal(ns, Tshark.EpochNanoseconds(Assert.Single(judge.Rows)[0]));
    }

    /// <summary>The extremes, beyond tshark's arithmetic: checked against the definition (units / units-per-second + offset).</summary>
    [Theory]
    [InlineData((byte)0, 0L, ulong.MaxValue, "18446744073709551615000000000")]      // 10^0: 2^64-1 s (tshark wraps it to -1)
    [InlineData((byte)12, 0L, ulong.MaxValue, "18446744073709551")]                   // 10^-12: 18446744.073709551615 s (tshark overflows the fraction)
    [InlineData((byte)19, 0L, ulong.MaxValue, "1844674407")]                          // 10^-19
    [InlineData((byte)(0x80 | 63), 0L, 3UL << 62, "1500000000")]                      // 2^-63: 1.5 s (tshark: 1 s)
    [InlineData((byte)(0x80 | 127), 0L, ulong.MaxValue, "0")]
    [InlineData((byte)127, long.MinValue, 5UL, "-9223372036854775808000000000")]
    [InlineData((byte)6, long.MaxValue, ulong.MaxValue, "9223390483598849516551615000")]
    public void Extreme_pcapng_times_are_exact(byte tsresol, long tsoffset, ulong units, string nanoseconds)
    {
        byte[] file = [.. RawCaptures.Shb(), .. RawCaptures.Idb(RawCaptures.TsResolOffset(tsresol, tsoffset)), .. RawCaptures.Epb(units, RawCaptures.Frame60)];
        var f = Assert.Single(TestCaptures.ReadAll(file));
        Assert.Equal(Int128.Parse(nanoseconds, System.Globalization.CultureInfo.InvariantCulture), f.TimestampNanoseconds);
        // and our writer puts it back in the same units (coarser than 1 ns: the same unit; finer: one that reads back the same)
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms, leaveOpen: true))
        {
            w.AddInterface(null, timestampResolution: tsresol, timestampOffsetSeconds: tsoffset);
            w.WriteFrame(0, RawCaptures.Frame60, f.TimestampNanoseconds);
        }
        Assert.Equal(f.TimestampNanoseconds, Assert.Single(TestCaptures.ReadAll(ms.ToArray())).TimestampNanoseconds);
    }

    [Fact]
    public void A_time_before_the_interfaces_offset_is_the_callers_error_not_a_wrong_file()
    {
        using var w = new PcapngWriter(new MemoryStream());
        w.AddInterface("eth0");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => w.WriteFrame(0, RawCaptures.Frame60, -1));
        Assert.Contains("timestampOffsetSeconds", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "1970-01-01T00:00:00.000000000Z")]
    [InlineData("-500000000", "1969-12-31T23:59:59.500000000Z")]
    [InlineData("1700000000123456789", "2023-11-14T22:13:20.123456789Z")]
    [InlineData("18446744073709551615000000000", "+584554051223-11-09T07:00:15.000000000Z")]
    [InlineData("-62135596800000000001", "0000-12-31T23:59:59.999999999Z")] // ISO 8601 counts year 0 (1 BC)
    [InlineData("-62167219200000000001", "-0001-12-31T23:59:59.999999999Z")]
    public void Iso8601_text_covers_every_year(string nanoseconds, string text)
        => Assert.Equal(text, CaptureTime.Iso8601(Int128.Parse(nanoseconds, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("999999", 0L)]
    [InlineData("1000000", 1L)]
    [InlineData("-1", -1L)]
    [InlineData("-1000000", -1L)]
    [InlineData("-1000001", -2L)]
    [InlineData("1700000000123456789", 1700000000123L)]
    [InlineData("9223372036854775807", 9223372036854L)]
    [InlineData("-9223372036854775808", -9223372036855L)]
    [InlineData("9223372036854775808", 9223372036854L)] // just past Int64: the 128-bit case
    [InlineData("-9223372036854775809", -9223372036855L)]
    [InlineData("18446744073709551615000000000000000", 9223372036854775807L)] // saturated
    public void Milliseconds_are_the_floor_on_both_sides_of_the_epoch_and_of_int64(string nanoseconds, long milliseconds)
        => Assert.Equal(milliseconds, CaptureTime.Milliseconds(Int128.Parse(nanoseconds, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Milliseconds_of_random_times_equal_the_exact_floor_division()
    {
        var random = new Random(20261207);
        for (int i = 0; i < 100_000; i++)
        {
            long n = random.NextInt64(long.MinValue, long.MaxValue);
            var exact = System.Numerics.BigInteger.Divide(n - (((n % 1_000_000) + 1_000_000) % 1_000_000), 1_000_000);
            Assert.Equal((long)exact, CaptureTime.Milliseconds(n));
        }
    }
}
