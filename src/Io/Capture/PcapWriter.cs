namespace Datapath.Io.Capture;

/// <summary>
/// Writes a classic libpcap file (link type Ethernet): microsecond timestamps by default
/// (magic 0xa1b2c3d4), nanoseconds on request (0xa1b23c4d), in either byte order.
/// Frames longer than the snap length are cut to it and keep their original length.
/// <para>Timestamps: a record holds 0 .. 2^32-1 seconds (1970-01-01 .. 2106-02-07) and a fraction;
/// every such time is written exactly (to the file's resolution, the fraction truncated toward
/// earlier). A time outside that range keeps the low 32 bits of its (floor) seconds, as libpcap's
/// pcap_dump does when it stores a time_t in the record's 32-bit field: -1 s is written as
/// 0xffffffff, which libpcap reads back as -1 and Wireshark as 2106. Writing never fails on a
/// timestamp.</para>
/// </summary>
/// <remarks>Thread-safety: none; one writer per thread. Cost: one copy of each frame into a pooled buffer.</remarks>
public sealed class PcapWriter : IDisposable
{
    private readonly CaptureWriteBuffer _out;
    private readonly bool _bigEndian;
    private readonly int _snapLength;

    /// <summary>Writes the file header to <paramref name="stream"/>.</summary>
    public PcapWriter(Stream stream, PcapTimestampResolution resolution = PcapTimestampResolution.Microsecond,
        int snapLength = PcapFormat.MaximumSnapLength, bool bigEndian = false, bool leaveOpen = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        Resolution = resolution;
        _bigEndian = bigEndian;
        _snapLength = snapLength;
        _out = new CaptureWriteBuffer(stream, leaveOpen);
        Span<byte> h = _out.GetSpan(PcapFormat.FileHeaderLength);
        ByteOrder.Write(h, resolution == PcapTimestampResolution.Nanosecond ? PcapFormat.MagicNanoseconds : PcapFormat.MagicMicroseconds, bigEndian);
        ByteOrder.Write(h[4..], PcapFormat.VersionMajor, bigEndian);
        ByteOrder.Write(h[6..], PcapFormat.VersionMinor, bigEndian);
        ByteOrder.Write(h[8..], 0u, bigEndian);   // thiszone
        ByteOrder.Write(h[12..], 0u, bigEndian);  // sigfigs
        ByteOrder.Write(h[16..], (uint)snapLength, bigEndian);
        ByteOrder.Write(h[20..], (uint)LinkTypes.Ethernet, bigEndian);
        _out.Advance(PcapFormat.FileHeaderLength);
    }

    /// <summary>Creates (or overwrites) a pcap file.</summary>
    public static PcapWriter Create(string path, PcapTimestampResolution resolution = PcapTimestampResolution.Microsecond,
        int snapLength = PcapFormat.MaximumSnapLength)
        => new(CaptureFiles.Create(path), resolution, snapLength);

    public PcapTimestampResolution Resolution { get; }
    public long FramesWritten { get; private set; }
    public long BytesWritten => _out.BytesWritten;

    /// <summary>Appends one frame.</summary>
    /// <param name="frame">The frame from its Ethernet header on; cut to the snap length.</param>
    /// <param name="timestampNanoseconds">Nanoseconds since the epoch; exact from 0 to 2^32 s, else the low 32 bits of the seconds (see the class remarks); microsecond files drop the sub-microsecond part.</param>
    /// <param name="originalLength">The frame's length on the wire; -1 means <paramref name="frame"/>'s length.</param>
    public void WriteFrame(ReadOnlySpan<byte> frame, Int128 timestampNanoseconds, int originalLength = -1)
    {
        var (seconds, fraction) = CaptureTime.Split(timestampNanoseconds);
        if (Resolution == PcapTimestampResolution.Microsecond)
            fraction /= 1000;
        if (originalLength < frame.Length)
            originalLength = frame.Length;
        if (frame.Length > _snapLength)
            frame = frame[.._snapLength];
        Span<byte> h = _out.GetSpan(PcapFormat.RecordHeaderLength);
        ByteOrder.Write(h, (uint)(ulong)(seconds & uint.MaxValue), _bigEndian);
        ByteOrder.Write(h[4..], (uint)fraction, _bigEndian);
        ByteOrder.Write(h[8..], (uint)frame.Length, _bigEndian);
        ByteOrder.Write(h[12..], (uint)originalLength, _bigEndian);
        _out.Advance(PcapFormat.RecordHeaderLength);
        _out.Write(frame);
        FramesWritten++;
    }

    /// <summary>Appends a frame read from another capture (its bytes, timestamp and original length).</summary>
    public void Write(in CapturedFrame frame) => WriteFrame(frame.Span, frame.TimestampNanoseconds, frame.OriginalLength);

    public void Flush() => _out.Flush();

    public void Dispose() => _out.Dispose();
}
