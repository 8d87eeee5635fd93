namespace Datapath.Io.Capture;

/// <summary>
/// One frame read from a capture file. <see cref="Data"/> points into the reader's reused buffer and
/// is valid only until the reader's next <c>TryReadNext</c> (copy it to keep it).
/// </summary>
public readonly struct CapturedFrame
{
    public CapturedFrame(ReadOnlyMemory<byte> data, long timestampNanoseconds, int originalLength, int interfaceIndex,
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

    /// <summary>Nanoseconds since 1970-01-01T00:00:00Z.</summary>
    public long TimestampNanoseconds { get; }

    /// <summary>The frame's length on the wire; larger than <see cref="CapturedLength"/> when the snap length cut it.</summary>
    public int OriginalLength { get; }

    public int CapturedLength => Data.Length;

    public bool IsTruncated => Data.Length < OriginalLength;

    /// <summary>The pcapng interface id within its section (0 for pcap files).</summary>
    public int InterfaceIndex { get; }

    /// <summary>The pcapng if_name option of the interface, or null.</summary>
    public string? InterfaceName { get; }

    /// <summary>Byte offset of the frame's record (pcap) or block (pcapng) in the file.</summary>
    public long FileOffset { get; }

    /// <summary>The timestamp as a UTC <see cref="DateTime"/> (100 ns resolution).</summary>
    public DateTime TimestampUtc => DateTime.UnixEpoch.AddTicks(TimestampNanoseconds / 100);
}
