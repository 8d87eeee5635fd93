using Datapath.Packets;

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
// What is refused is what tshark (Wireshark's wiretap, 4.0) refuses, and what it reads is read:
//  - refused: a major version below 2; a record that captures more than 262144 bytes
//    (PcapFormat.MaximumSnapLength, whatever the header's snap length); a file cut short.
//  - read: any minor version and any major version from 2 up; a header snap length of 0 or
//    0xffffffff; a record that captures more than the snap length (up to 262144) or more than its
//    original length (OriginalLength then is less than the captured length); a fraction field of a
//    second or more (it is added as it is, 2000000 us is 2 s).
//  - Timestamps: ts_sec is unsigned, as wiretap and the file format draft read it (0 .. 2^32-1 s,
//    1970 .. 2106); libpcap's own reader takes it as signed, which tcpdump then cannot print.
//  - One deliberate difference: a link type other than Ethernet is refused (the datapath runs
//    Ethernet frames only); tshark reads any link type.
//
// Invariants
// ----------
//  - After a successful TryReadNext, the buffer's position is the start of the next record.
//  - An InputException's offset is the start of the record (or header) that is cut short, or the
//    field that is wrong.
//  - No allocation is sized by a field of the file: a record is buffered only after its captured
//    length passed the 262144 check, and only as far as its bytes arrive.
//
// Thread-safety: none; one reader per thread.
// Cost: O(frame bytes); memory: one 1 MiB pooled buffer.
public sealed class PcapReader : IFrameReader
{
    private readonly CaptureReadBuffer _buffer;
    private readonly bool _bigEndian;
    private readonly long _unitsToNanoseconds;

    /// <summary>Reads the file header from <paramref name="stream"/> (positioned at the start of the file; seekable or not).</summary>
    /// <exception cref="InputException">The header is truncated, the magic or version is wrong or the link type is not Ethernet.</exception>
    public PcapReader(Stream stream, string fileName, bool leaveOpen = false)
        : this(new CaptureReadBuffer(stream, leaveOpen), fileName)
    {
    }

    /// <summary>Reads the file header from <paramref name="buffer"/> (at the start of the file); disposes it when the header is bad.</summary>
    internal PcapReader(CaptureReadBuffer buffer, string fileName)
    {
        FileName = fileName;
        _buffer = buffer;
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
            if (VersionMajor < PcapFormat.VersionMajor)
                throw Error(4, $"pcap major version {VersionMajor} unsupported (version {VersionMajor}.{VersionMinor}; 2.x is read)");
            SnapLength = ByteOrder.U32(h[16..], _bigEndian);
            uint linkField = ByteOrder.U32(h[20..], _bigEndian);
            // The low 16 bits are the link type; the top bits may carry FCS information.
            LinkType = (ushort)linkField;
            if (LinkType != LinkTypes.Ethernet)
                throw Error(20, $"link type {LinkType} is not supported (only Ethernet, link type 1)");
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
    /// <summary>The header's snap length, as written (records are checked against 262144, not this).</summary>
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
        if (capturedLength > PcapFormat.MaximumSnapLength)
            throw Error(recordOffset + 8, $"record captures {capturedLength} bytes, more than the maximum of {PcapFormat.MaximumSnapLength} (corrupt record header)");
        int total = PcapFormat.RecordHeaderLength + (int)capturedLength;
        if (!_buffer.Ensure(total))
            throw Error(recordOffset, $"truncated record: needs {total} bytes, file ends after {_buffer.Available}");
        Int128 ns = (Int128)seconds * CaptureTime.NanosecondsPerSecond + (long)fraction * _unitsToNanoseconds;
        frame = new CapturedFrame(_buffer.Slice(PcapFormat.RecordHeaderLength, (int)capturedLength), ns,
            (int)Math.Min(originalLength, int.MaxValue), 0, null, recordOffset);
        _buffer.Advance(total);
        FramesRead++;
        return true;
    }

    public void Dispose() => _buffer.Dispose();

    private InputException Error(long offset, string what) => InputException.AtOffset(FileName, offset, what);
}
