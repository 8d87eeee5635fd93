using System.Numerics;
using System.Text;

namespace Datapath.Io.Capture;

/// <summary>
/// Writes a pcapng file: one section (Section Header Block with shb_userappl), Interface Description
/// Blocks added with <see cref="AddInterface"/> (if_name; if_tsresol = 9 for nanosecond
/// timestamps, the default, or any if_tsresol the caller gives; if_tsoffset when given), and an
/// Enhanced Packet Block per frame. Either byte order.
/// <para>Timestamps: an interface holds 2^64 units of its if_tsresol from its if_tsoffset on (with
/// nanoseconds and no offset: 1970 .. 2554; a negative offset reaches before 1970). Every time in
/// that range is written so that reading it back gives the same nanoseconds: resolutions coarser
/// than a nanosecond truncate toward earlier, finer ones round up to the next unit. A time outside
/// the interface's range is the caller's error (ArgumentOutOfRangeException).</para>
/// </summary>
/// <remarks>Thread-safety: none; one writer per thread. Cost: one copy of each frame into a pooled buffer.</remarks>
public sealed class PcapngWriter : IDisposable
{
    private const string Application = "Datapath";

    private readonly CaptureWriteBuffer _out;
    private readonly bool _bigEndian;
    private readonly List<(int SnapLength, byte Resolution, long OffsetSeconds)> _interfaces = [];

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
    public int InterfaceCount => _interfaces.Count;
    public long FramesWritten { get; private set; }
    public long BytesWritten => _out.BytesWritten;

    /// <summary>Writes an Interface Description Block and returns its interface id (0, 1, ...).</summary>
    /// <param name="name">The if_name option, or null for none.</param>
    /// <param name="snapLength">Frames are cut to this length; 0 means no limit.</param>
    /// <param name="linkType">The LINKTYPE_ value (readers of this project accept only Ethernet).</param>
    /// <param name="timestampResolution">The if_tsresol byte (bit 7 set: 2^-n s, else 10^-n s); null: the writer's <see cref="Resolution"/>.</param>
    /// <param name="timestampOffsetSeconds">The if_tsoffset option: seconds added to every timestamp of the interface (0: none written).</param>
    public int AddInterface(string? name, int snapLength = 0, ushort linkType = LinkTypes.Ethernet, byte? timestampResolution = null,
        long timestampOffsetSeconds = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(snapLength);
        byte[] nameBytes = name is null ? [] : Encoding.UTF8.GetBytes(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nameBytes.Length, ushort.MaxValue, nameof(name));
        byte tsresol = timestampResolution ?? (Resolution == PcapTimestampResolution.Nanosecond ? (byte)9 : (byte)6);
        bool writeResolution = tsresol != 6;
        bool writeOffset = timestampOffsetSeconds != 0;
        int optionsLength = (name is null ? 0 : OptionLength(nameBytes.Length)) + (writeResolution ? OptionLength(1) : 0)
            + (writeOffset ? OptionLength(8) : 0);
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
        if (writeResolution)
            p += WriteOption(b[p..], PcapngFormat.OptIfTsResol, [tsresol]);
        if (writeOffset)
        {
            Span<byte> offset = stackalloc byte[8];
            ByteOrder.Write(offset, timestampOffsetSeconds, _bigEndian);
            p += WriteOption(b[p..], PcapngFormat.OptIfTsOffset, offset);
        }
        if (optionsLength > 0)
            p += 4;
        ByteOrder.Write(b[p..], (uint)length, _bigEndian);
        _out.Advance(length);
        _interfaces.Add((snapLength, tsresol, timestampOffsetSeconds));
        return _interfaces.Count - 1;
    }

    /// <summary>Appends one frame as an Enhanced Packet Block of interface <paramref name="interfaceId"/>.</summary>
    /// <param name="interfaceId">An id returned by <see cref="AddInterface"/>.</param>
    /// <param name="frame">The frame from its Ethernet header on; cut to the interface's snap length.</param>
    /// <param name="timestampNanoseconds">Nanoseconds since the epoch, within what the interface holds (see the class remarks).</param>
    /// <param name="originalLength">The frame's length on the wire; -1 means <paramref name="frame"/>'s length.</param>
    public void WriteFrame(int interfaceId, ReadOnlySpan<byte> frame, Int128 timestampNanoseconds, int originalLength = -1)
    {
        if ((uint)interfaceId >= (uint)_interfaces.Count)
            throw new ArgumentOutOfRangeException(nameof(interfaceId), interfaceId, $"no such interface; {_interfaces.Count} added");
        var itf = _interfaces[interfaceId];
        ulong units = ToUnits(timestampNanoseconds, itf.Resolution, itf.OffsetSeconds)
            ?? throw new ArgumentOutOfRangeException(nameof(timestampNanoseconds), CaptureTime.Iso8601(timestampNanoseconds),
                $"interface {interfaceId} (if_tsresol 0x{itf.Resolution:x2}, if_tsoffset {itf.OffsetSeconds} s) cannot hold this time; "
                + "give AddInterface a timestampOffsetSeconds at or before it");
        if (originalLength < frame.Length)
            originalLength = frame.Length;
        int snap = itf.SnapLength;
        if (snap > 0 && frame.Length > snap)
            frame = frame[..snap];
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

    /// <summary>
    /// The timestamp in units of <paramref name="tsresol"/> after <paramref name="offsetSeconds"/>, such that
    /// <see cref="PcapngInterface.ToNanoseconds"/> gives back <paramref name="nanoseconds"/> (or, for a
    /// resolution coarser than 1 ns, the last unit at or before it); null when it is not 0 .. 2^64-1 units.
    /// </summary>
    internal static ulong? ToUnits(Int128 nanoseconds, byte tsresol, long offsetSeconds)
    {
        Int128 relative = nanoseconds - (Int128)offsetSeconds * CaptureTime.NanosecondsPerSecond;
        if (relative < 0)
            return null;
        if (tsresol is 9 or 6 && relative <= ulong.MaxValue)
            return tsresol == 9 ? (ulong)relative : (ulong)relative / 1000; // the common cases, without BigInteger
        int n = tsresol & 0x7F;
        bool binary = (tsresol & 0x80) != 0;
        BigInteger unitsPerSecond = binary ? BigInteger.One << n : BigInteger.Pow(10, n);
        BigInteger scaled = (BigInteger)relative * unitsPerSecond;
        BigInteger units = unitsPerSecond >= CaptureTime.NanosecondsPerSecond
            ? (scaled + CaptureTime.NanosecondsPerSecond - 1) / CaptureTime.NanosecondsPerSecond // finer: round up, the reader truncates
            : scaled / CaptureTime.NanosecondsPerSecond;                                         // coarser: truncate
        return units <= ulong.MaxValue ? (ulong)units : null;
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
