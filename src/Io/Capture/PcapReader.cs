namespace Datapath.Io.Capture;

// Pcap reader
// ===========
//
// What?
// -----
// Streams the frames of a classic libpcap file (draft-ietf-opsawg-pcap): a 24-byte file header
// whose magic gives the byte order and the timestamp resolution (0xa1b2c3d4 microseconds,
// 0xa1b23c4d nanoseconds, either byte-swapped), then 16-byte record headers each followed by
// incl_len bytes of frame.
//
// Design
// ------
// Records are parsed in place in a CaptureReadBuffer and each frame is a slice of it, so a 2 GB
// file is read with the buffer's constant memory and no allocation per frame.  Faults are found
// lazily: the file header when opening, a record when it is reached, so every frame before a
// truncation or a corrupt record header is delivered first.
//
// Invariants
// ----------
//  - After a successful TryReadNext, the buffer's position is the start of the next record.
//  - A CaptureFileException's offset is the start of the record (or header) that is at fault.
//
// Thread-safety: none; one reader per thread.
// Cost: O(frame bytes); memory: one 1 MiB pooled buffer (bigger only for a bigger record).
public sealed class PcapReader : IFrameReader
{
    private readonly CaptureReadBuffer _buffer;
    private readonly bool _bigEndian;
    private readonly long _unitsToNanoseconds;
    private readonly int _maximumRecordLength;

    /// <summary>Reads the file header from <paramref name="stream"/> (positioned at the start of the file).</summary>
    /// <exception cref="CaptureFileException">The header is truncated, the magic is wrong or the link type is not Ethernet.</exception>
    public PcapReader(Stream stream, string fileName, bool leaveOpen = false)
    {
        FileName = fileName;
        _buffer = new CaptureReadBuffer(stream, leaveOpen);
        try
        {
            if (!_buffer.Ensure(PcapFormat.FileHeaderLength))
                throw Error(0, $"truncated pcap file header: needs {PcapFormat.FileHeaderLength} bytes, file has {_buffer.Available}");
            ReadOnlySpan<byte> h = _buffer.Span;
            uint magicLe = ByteOrder.U32(h, bigEndian: false);
            uint magicBe = ByteOrder.U32(h, bigEndian: true);
            if (magicLe is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds)
                _bigEndian = false;
            else if (magicBe is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds)
                _bigEndian = true;
            else
                throw Error(0, $"not a pcap file: magic 0x{magicBe:x8}");
            uint magic = _bigEndian ? magicBe : magicLe;
            Resolution = magic == PcapFormat.MagicNanoseconds ? PcapTimestampResolution.Nanosecond : PcapTimestampResolution.Microsecond;
            _unitsToNanoseconds = Resolution == PcapTimestampResolution.Nanosecond ? 1 : 1000;
            VersionMajor = ByteOrder.U16(h[4..], _bigEndian);
            VersionMinor = ByteOrder.U16(h[6..], _bigEndian);
            if (VersionMajor != PcapFormat.VersionMajor)
                throw Error(4, $"unsupported pcap version {VersionMajor}.{VersionMinor} (expected 2.4)");
            SnapLength = ByteOrder.U32(h[16..], _bigEndian);
            uint linkField = ByteOrder.U32(h[20..], _bigEndian);
            // The low 16 bits are the link type; the top bits may carry FCS information.
            LinkType = (ushort)linkField;
            if (LinkType != LinkTypes.Ethernet)
                throw Error(20, $"link type {LinkType} is not supported (only Ethernet, link type 1)");
            _maximumRecordLength = (int)Math.Min(Math.Max(SnapLength, (uint)PcapFormat.MaximumSnapLength), int.MaxValue - PcapFormat.RecordHeaderLength);
            _buffer.Advance(PcapFormat.FileHeaderLength);
        }
        catch
        {
            _buffer.Dispose();
            throw;
        }
    }

    /// <summary>Opens a pcap file for streaming.</summary>
    public static PcapReader Open(string path) => new(CaptureFiles.OpenRead(path), path);

    public string FileName { get; }
    public long FramesRead { get; private set; }
    public PcapTimestampResolution Resolution { get; }
    /// <summary>The file was written big-endian (its magic reads a1 b2 ... in file order).</summary>
    public bool IsBigEndian => _bigEndian;
    public ushort VersionMajor { get; }
    public ushort VersionMinor { get; }
    public uint SnapLength { get; }
    public ushort LinkType { get; }

    public bool TryReadNext(out CapturedFrame frame)
    {
        frame = default;
        long recordOffset = _buffer.Position;
        if (!_buffer.Ensure(PcapFormat.RecordHeaderLength))
        {
            if (_buffer.Available == 0)
                return false;
            throw Error(recordOffset, $"truncated record header: needs {PcapFormat.RecordHeaderLength} bytes, file ends after {_buffer.Available}");
        }
        ReadOnlySpan<byte> h = _buffer.Span;
        uint seconds = ByteOrder.U32(h, _bigEndian);
        uint fraction = ByteOrder.U32(h[4..], _bigEndian);
        uint capturedLength = ByteOrder.U32(h[8..], _bigEndian);
        uint originalLength = ByteOrder.U32(h[12..], _bigEndian);
        if (capturedLength > (uint)_maximumRecordLength)
            throw Error(recordOffset + 8, $"captured length {capturedLength} exceeds the snap length {SnapLength} (corrupt record header)");
        if (originalLength < capturedLength)
            throw Error(recordOffset + 12, $"original length {originalLength} is less than captured length {capturedLength} (corrupt record header)");
        int total = PcapFormat.RecordHeaderLength + (int)capturedLength;
        if (!_buffer.Ensure(total))
            throw Error(recordOffset, $"truncated record: needs {total} bytes, file ends after {_buffer.Available}");
        long ns = seconds * 1_000_000_000L + fraction * _unitsToNanoseconds;
        frame = new CapturedFrame(_buffer.Slice(PcapFormat.RecordHeaderLength, (int)capturedLength), ns,
            (int)Math.Min(originalLength, int.MaxValue), 0, null, recordOffset);
        _buffer.Advance(total);
        FramesRead++;
        return true;
    }

    public void Dispose() => _buffer.Dispose();

    private CaptureFileException Error(long offset, string reason) => new(FileName, offset, reason);
}
