namespace Datapath.Io.Capture;

/// <summary>An Interface Description Block of a pcapng section, as the reader saw it.</summary>
public sealed class PcapngInterface
{
    internal PcapngInterface(ushort linkType, uint snapLength, string? name, byte timestampResolution, long timestampOffsetSeconds)
    {
        LinkType = linkType;
        SnapLength = snapLength;
        Name = name;
        TimestampResolution = timestampResolution;
        TimestampOffsetSeconds = timestampOffsetSeconds;
    }

    public ushort LinkType { get; }
    /// <summary>0 means no limit.</summary>
    public uint SnapLength { get; }
    /// <summary>The if_name option, or null.</summary>
    public string? Name { get; }
    /// <summary>The if_tsresol option: bit 7 clear = 10^-n seconds, set = 2^-n seconds, n = 0 .. 127 (default 6).</summary>
    public byte TimestampResolution { get; }
    /// <summary>The if_tsoffset option: seconds added to every timestamp.</summary>
    public long TimestampOffsetSeconds { get; }

    /// <summary>
    /// Converts a timestamp in this interface's units to nanoseconds since the epoch, exactly for
    /// resolutions of a nanosecond or coarser, truncated toward earlier for finer ones (every
    /// if_tsresol from 10^0 to 10^-127 and 2^0 to 2^-127 is read; none overflows Int128).
    /// </summary>
    internal Int128 ToNanoseconds(ulong units)
    {
        Int128 offset = (Int128)TimestampOffsetSeconds * CaptureTime.NanosecondsPerSecond;
        int n = TimestampResolution & 0x7F;
        if ((TimestampResolution & 0x80) != 0)
            return (((Int128)units * CaptureTime.NanosecondsPerSecond) >> n) + offset; // units * 1e9 < 2^94, n <= 127
        if (n <= 9)
            return (Int128)units * Pow10(9 - n) + offset;
        // A unit is 10^-n s: units / 10^(n-9) ns; past 10^19 every 64-bit count of units is under a nanosecond.
        return (n - 9 > 19 ? 0 : (Int128)(units / (ulong)Pow10(n - 9))) + offset;
    }

    /// <summary>10^n for n = 0 .. 19.</summary>
    internal static Int128 Pow10(int n)
    {
        Int128 p = 1;
        for (int i = 0; i < n; i++)
            p *= 10;
        return p;
    }
}
