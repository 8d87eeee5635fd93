namespace Datapath.Io.Capture;

/// <summary>
/// One frame read from a capture file. <see cref="Data"/> points into the reader's reused buffer and
/// is valid only until the reader's next <c>TryReadNext</c> (copy it to keep it).
/// </summary>
public readonly struct CapturedFrame
{
    public CapturedFrame(ReadOnlyMemory<byte> data, Int128 timestampNanoseconds, int originalLength, int interfaceIndex,
        string? interfaceName, long fileOffset)
    {
        Data = data;
        TimestampNanoseconds = timestampNanoseconds;
        OriginalLength = originalLength;
        InterfaceIndex = interfaceIndex;
        InterfaceName = interfaceName;
        FileOffset = fileOffset;
    }

    /// <summary>The captured bytes (at most the snap length).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public ReadOnlySpan<byte> Span => Data.Span;

    /// <summary>Nanoseconds since 1970-01-01T00:00:00Z, exact for any time a pcap or pcapng file holds (see <see cref="CaptureTime"/>); negative before 1970.</summary>
    public Int128 TimestampNanoseconds { get; }

    /// <summary>Whole milliseconds since the epoch (floor), saturated to Int64 only beyond ±2.9e8 years.</summary>
    public long TimestampMilliseconds => CaptureTime.Milliseconds(TimestampNanoseconds);

    /// <summary>
    /// The frame's length on the wire, as the record says (clipped to int.MaxValue). Usually at least
    /// <see cref="CapturedLength"/>; a record may say less, and is read anyway, as Wireshark reads it.
    /// </summary>
    public int OriginalLength { get; }

    public int CapturedLength => Data.Length;

    public bool IsTruncated => Data.Length < OriginalLength;

    /// <summary>The pcapng interface id within its section (0 for pcap files).</summary>
    public int InterfaceIndex { get; }

    /// <summary>The pcapng if_name option of the interface, or null.</summary>
    public string? InterfaceName { get; }

    /// <summary>Byte offset of the frame's record (pcap) or block (pcapng) in the file.</summary>
    public long FileOffset { get; }
}
