using System.Text;

namespace Datapath.Io.Capture;

/// <summary>
/// Writes a pcapng file: one section (Section Header Block with shb_userappl), Interface Description
/// Blocks added with <see cref="AddInterface"/> (if_name, and if_tsresol = 9 for nanosecond
/// timestamps, the default), and an Enhanced Packet Block per frame. Either byte order.
/// </summary>
/// <remarks>Thread-safety: none; one writer per thread. Cost: one copy of each frame into a pooled buffer.</remarks>
public sealed class PcapngWriter : IDisposable
{
    private const string Application = "Datapath";

    private readonly CaptureWriteBuffer _out;
    private readonly bool _bigEndian;
    private readonly List<int> _snapLengths = [];

    /// <summary>Writes the Section Header Block to <paramref name="stream"/>.</summary>
    public PcapngWriter(Stream stream, PcapTimestampResolution resolution = PcapTimestampResolution.Nanosecond,
        bool bigEndian = false, bool leaveOpen = false)
    {
        Resolution = resolution;
        _bigEndian = bigEndian;
        _out = new CaptureWriteBuffer(stream, leaveOpen);
        int optionsLength = OptionLength(Encoding.UTF8.GetByteCount(Application)) + 4;
        int length = PcapngFormat.MinimumBlockLength + 16 + optionsLength;
        Span<byte> b = _out.GetSpan(length);
        b.Clear();
        ByteOrder.Write(b, PcapngFormat.SectionHeaderBlock, bigEndian);
        ByteOrder.Write(b[4..], (uint)length, bigEndian);
        ByteOrder.Write(b[8..], PcapngFormat.ByteOrderMagic, bigEndian);
        ByteOrder.Write(b[12..], PcapngFormat.VersionMajor, bigEndian);
        ByteOrder.Write(b[14..], PcapngFormat.VersionMinor, bigEndian);
        ByteOrder.Write(b[16..], -1L, bigEndian); // section length not specified
        int p = 24;
        p += WriteOption(b[p..], PcapngFormat.OptShbUserAppl, Encoding.UTF8.GetBytes(Application));
        p += 4; // opt_endofopt (zeros)
        ByteOrder.Write(b[p..], (uint)length, bigEndian);
        _out.Advance(length);
    }

    /// <summary>Creates (or overwrites) a pcapng file.</summary>
    public static PcapngWriter Create(string path, PcapTimestampResolution resolution = PcapTimestampResolution.Nanosecond)
        => new(CaptureFiles.Create(path), resolution);

    public PcapTimestampResolution Resolution { get; }
    public int InterfaceCount => _snapLengths.Count;
    public long FramesWritten { get; private set; }
    public long BytesWritten => _out.BytesWritten;

    /// <summary>Writes an Interface Description Block and returns its interface id (0, 1, ...).</summary>
    /// <param name="name">The if_name option, or null for none.</param>
    /// <param name="snapLength">Frames are cut to this length; 0 means no limit.</param>
    /// <param name="linkType">The LINKTYPE_ value (readers of this project accept only Ethernet).</param>
    public int AddInterface(string? name, int snapLength = 0, ushort linkType = LinkTypes.Ethernet)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(snapLength);
        byte[] nameBytes = name is null ? [] : Encoding.UTF8.GetBytes(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nameBytes.Length, ushort.MaxValue, nameof(name));
        bool nanoseconds = Resolution == PcapTimestampResolution.Nanosecond;
        int optionsLength = (name is null ? 0 : OptionLength(nameBytes.Length)) + (nanoseconds ? OptionLength(1) : 0);
        if (optionsLength > 0)
            optionsLength += 4;
        int length = PcapngFormat.MinimumBlockLength + 8 + optionsLength;
        Span<byte> b = _out.GetSpan(length);
        b.Clear();
        ByteOrder.Write(b, PcapngFormat.InterfaceDescriptionBlock, _bigEndian);
        ByteOrder.Write(b[4..], (uint)length, _bigEndian);
        ByteOrder.Write(b[8..], linkType, _bigEndian);
        ByteOrder.Write(b[12..], (uint)snapLength, _bigEndian);
        int p = 16;
        if (name is not null)
            p += WriteOption(b[p..], PcapngFormat.OptIfName, nameBytes);
        if (nanoseconds)
            p += WriteOption(b[p..], PcapngFormat.OptIfTsResol, [9]);
        if (optionsLength > 0)
            p += 4;
        ByteOrder.Write(b[p..], (uint)length, _bigEndian);
        _out.Advance(length);
        _snapLengths.Add(snapLength);
        return _snapLengths.Count - 1;
    }

    /// <summary>Appends one frame as an Enhanced Packet Block of interface <paramref name="interfaceId"/>.</summary>
    /// <param name="interfaceId">An id returned by <see cref="AddInterface"/>.</param>
    /// <param name="frame">The frame from its Ethernet header on; cut to the interface's snap length.</param>
    /// <param name="timestampNanoseconds">Nanoseconds since the epoch; microsecond sections drop the sub-microsecond part.</param>
    /// <param name="originalLength">The frame's length on the wire; -1 means <paramref name="frame"/>'s length.</param>
    public void WriteFrame(int interfaceId, ReadOnlySpan<byte> frame, long timestampNanoseconds, int originalLength = -1)
    {
        if ((uint)interfaceId >= (uint)_snapLengths.Count)
            throw new ArgumentOutOfRangeException(nameof(interfaceId), interfaceId, $"no such interface; {_snapLengths.Count} added");
        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);
        if (originalLength < frame.Length)
            originalLength = frame.Length;
        int snap = _snapLengths[interfaceId];
        if (snap > 0 && frame.Length > snap)
            frame = frame[..snap];
        ulong units = Resolution == PcapTimestampResolution.Nanosecond ? (ulong)timestampNanoseconds : (ulong)(timestampNanoseconds / 1000);
        int padded = PcapngFormat.Pad4(frame.Length);
        int length = PcapngFormat.MinimumBlockLength + 20 + padded;
        Span<byte> h = _out.GetSpan(28);
        ByteOrder.Write(h, PcapngFormat.EnhancedPacketBlock, _bigEndian);
        ByteOrder.Write(h[4..], (uint)length, _bigEndian);
        ByteOrder.Write(h[8..], (uint)interfaceId, _bigEndian);
        ByteOrder.Write(h[12..], (uint)(units >> 32), _bigEndian);
        ByteOrder.Write(h[16..], (uint)units, _bigEndian);
        ByteOrder.Write(h[20..], (uint)frame.Length, _bigEndian);
        ByteOrder.Write(h[24..], (uint)originalLength, _bigEndian);
        _out.Advance(28);
        _out.Write(frame);
        Span<byte> t = _out.GetSpan(padded - frame.Length + 4);
        t.Clear();
        ByteOrder.Write(t[(padded - frame.Length)..], (uint)length, _bigEndian);
        _out.Advance(t.Length);
        FramesWritten++;
    }

    /// <summary>Appends a frame read from another capture on interface <see cref="CapturedFrame.InterfaceIndex"/>.</summary>
    public void Write(in CapturedFrame frame)
        => WriteFrame(frame.InterfaceIndex, frame.Span, frame.TimestampNanoseconds, frame.OriginalLength);

    public void Flush() => _out.Flush();

    public void Dispose() => _out.Dispose();

    private static int OptionLength(int valueLength) => 4 + PcapngFormat.Pad4(valueLength);

    private int WriteOption(Span<byte> destination, ushort code, ReadOnlySpan<byte> value)
    {
        ByteOrder.Write(destination, code, _bigEndian);
        ByteOrder.Write(destination[2..], (ushort)value.Length, _bigEndian);
        value.CopyTo(destination[4..]);
        return OptionLength(value.Length);
    }
}
