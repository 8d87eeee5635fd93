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
    /// <summary>The if_tsresol option: bit 7 clear = 10^-n seconds, set = 2^-n seconds (default 6).</summary>
    public byte TimestampResolution { get; }
    /// <summary>The if_tsoffset option: seconds added to every timestamp.</summary>
    public long TimestampOffsetSeconds { get; }

    /// <summary>Converts a timestamp in this interface's units to nanoseconds since the epoch.</summary>
    internal long ToNanoseconds(ulong units)
    {
        long ns;
        int n = TimestampResolution & 0x7F;
        if ((TimestampResolution & 0x80) != 0)
            ns = (long)(((UInt128)units * 1_000_000_000UL) >> n);
        else if (n == 9)
            ns = (long)units;
        else if (n < 9)
            ns = (long)(units * Pow10(9 - n));
        else
            ns = (long)(units / Pow10(n - 9));
        return ns + TimestampOffsetSeconds * 1_000_000_000L;
    }

    /// <summary>if_tsresol values the reader accepts: 10^-0 .. 10^-19 and 2^-0 .. 2^-63.</summary>
    internal static bool IsSupportedResolution(byte tsresol)
        => (tsresol & 0x80) != 0 ? (tsresol & 0x7F) <= 63 : tsresol <= 19;

    private static ulong Pow10(int n)
    {
        ulong p = 1;
        for (int i = 0; i < n; i++)
            p *= 10;
        return p;
    }
}
