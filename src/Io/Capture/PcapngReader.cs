using System.Text;
using Datapath.Packets;

namespace Datapath.Io.Capture;

// Pcapng reader
// =============
//
// What?
// -----
// Streams the frames of a pcapng file (draft-ietf-opsawg-pcapng): sections, each a Section Header
// Block (its byte-order magic sets the byte order of the whole section) followed by Interface
// Description Blocks and packet blocks (Enhanced, Simple and the obsolete Packet Block).  Other
// block types (name resolution, statistics, custom, ...) are skipped.
//
// Design
// ------
// Like PcapReader: each block is made whole in a CaptureReadBuffer, parsed in place, and a frame is
// a slice of the buffer (no copy, no allocation per frame).  The interfaces of the current section
// are a list indexed by interface id; a new SHB starts a new list and may switch the byte order.
// Timestamps are converted with the interface's if_tsresol (10^-n or 2^-n for any n, default
// 10^-6) and if_tsoffset to Int128 nanoseconds since the epoch (CaptureTime): 2^64 units of any
// resolution plus any offset, never an overflow.  Blocks the reader does not parse (name
// resolution, statistics, custom, ...) are skipped through the buffer without being kept.
//
// What is refused is what tshark (Wireshark's wiretap, 4.0) refuses, and what it reads is read:
//  - refused: an SHB version other than 1.0 and 1.2; a block total length under the block type's
//    minimum, not a multiple of 4, over 134348832 (PcapngFormat.MaximumBlockLength) or unequal to
//    its trailing copy; a packet block that captures more than 262144 bytes or more than the block
//    holds; an option that runs past its block; a packet of an interface the section has not
//    described; a file cut short.
//  - read: any if_tsresol (tshark too; where its arithmetic overflows, for 10^-n past 10^-9 or
//    2^-n past 2^-62, it shows another time, and we show the exact one); a captured length over the
//    original length or over the interface's snap length; the first if_tsresol / if_tsoffset of an
//    interface when there are several (later ones are ignored, as tshark does).
//  - One deliberate difference: a packet of a non-Ethernet interface is refused (the datapath runs
//    Ethernet frames only); tshark reads any link type.
//
// Invariants
// ----------
//  - Between calls the buffer's position is the start of a block.
//  - Every block is checked: total length in range, a multiple of 4, equal to the trailing copy;
//    every field and option lies inside its block.  A fault throws InputException with the offset
//    of the block (truncation) or of the bad field, only when the reader reaches it.
//  - No allocation is sized by a field of the file: a block is buffered only as far as its bytes
//    arrive, and a skipped block is not buffered.
//
// Thread-safety: none; one reader per thread.
// Cost: O(block bytes); memory: one 1 MiB pooled buffer (bigger only for a bigger parsed block present in the file).
public sealed class PcapngReader : IFrameReader
{
    private readonly CaptureReadBuffer _buffer;
    private List<PcapngInterface> _interfaces = [];
    private bool _bigEndian;

    /// <summary>Reads the first Section Header Block from <paramref name="stream"/> (positioned at the start of the file; seekable or not).</summary>
    /// <exception cref="InputException">The file does not start with a valid Section Header Block.</exception>
    public PcapngReader(Stream stream, string fileName, bool leaveOpen = false)
        : this(new CaptureReadBuffer(stream, leaveOpen), fileName)
    {
    }

    /// <summary>Reads the first Section Header Block from <paramref name="buffer"/> (at the start of the file); disposes it when the block is bad.</summary>
    internal PcapngReader(CaptureReadBuffer buffer, string fileName)
    {
        FileName = fileName;
        _buffer = buffer;
        try
        {
            if (!_buffer.Ensure(4) || ByteOrder.U32(_buffer.Span, bigEndian: false) != PcapngFormat.SectionHeaderBlock)
            {
                string found = _buffer.Available >= 4 ? $"0x{ByteOrder.U32(_buffer.Span, bigEndian: true):x8}" : $"{_buffer.Available} bytes";
                throw Error(0, $"not a pcapng file: expected a Section Header Block (0x0a0d0d0a), found {found}");
            }
            ReadSectionHeader(0);
        }
        catch
        {
            _buffer.Dispose();
            throw;
        }
    }

    /// <summary>Opens a pcapng file for streaming.</summary>
    public static PcapngReader Open(string path) => new(CaptureFiles.OpenRead(path), path);

    public string FileName { get; }
    public long FramesRead { get; private set; }
    /// <summary>The current section was written big-endian.</summary>
    public bool IsBigEndian => _bigEndian;
    /// <summary>Section Header Blocks seen so far (1 after opening).</summary>
    public int SectionCount { get; private set; }
    /// <summary>The interfaces of the current section, by interface id.</summary>
    public IReadOnlyList<PcapngInterface> Interfaces => _interfaces;

    public bool TryReadNext(out CapturedFrame frame)
    {
        frame = default;
        while (true)
        {
            long blockOffset = _buffer.Position;
            if (!_buffer.Ensure(PcapngFormat.BlockHeaderLength))
            {
                if (_buffer.Available == 0)
                    return false;
                throw Error(blockOffset, $"truncated block header: needs {PcapngFormat.BlockHeaderLength} bytes, file ends after {_buffer.Available}");
            }
            uint type = ByteOrder.U32(_buffer.Span, _bigEndian);
            if (type == PcapngFormat.SectionHeaderBlock)
            {
                ReadSectionHeader(blockOffset);
                continue;
            }
            if (type is not (PcapngFormat.InterfaceDescriptionBlock or PcapngFormat.EnhancedPacketBlock
                or PcapngFormat.SimplePacketBlock or PcapngFormat.PacketBlock))
            {
                SkipBlock(blockOffset, type);
                continue;
            }
            int length = EnsureBlock(blockOffset, _bigEndian, type, MinimumBodyLength(type));
            ReadOnlySpan<byte> body = _buffer.Span.Slice(PcapngFormat.BlockHeaderLength, length - PcapngFormat.MinimumBlockLength);
            bool delivered = type switch
            {
                PcapngFormat.InterfaceDescriptionBlock => ReadInterface(body, blockOffset),
                PcapngFormat.EnhancedPacketBlock => ReadEnhancedPacket(body, blockOffset, out frame),
                PcapngFormat.SimplePacketBlock => ReadSimplePacket(body, blockOffset, out frame),
                PcapngFormat.PacketBlock => ReadObsoletePacket(body, blockOffset, out frame),
                _ => false,
            };
            _buffer.Advance(length);
            if (delivered)
            {
                FramesRead++;
                return true;
            }
        }
    }

    public void Dispose() => _buffer.Dispose();

    private void ReadSectionHeader(long blockOffset)
    {
        const int Fixed = 16; // byte-order magic, major, minor, section length
        if (!_buffer.Ensure(12))
            throw Error(blockOffset, $"truncated Section Header Block: needs at least 12 bytes, file ends after {_buffer.Available}");
        ReadOnlySpan<byte> s = _buffer.Span;
        bool bigEndian;
        if (ByteOrder.U32(s[8..], bigEndian: false) == PcapngFormat.ByteOrderMagic)
            bigEndian = false;
        else if (ByteOrder.U32(s[8..], bigEndian: true) == PcapngFormat.ByteOrderMagic)
            bigEndian = true;
        else
            throw Error(blockOffset + 8, $"byte-order magic 0x{ByteOrder.U32(s[8..], bigEndian: true):x8} is not 0x1a2b3c4d in either byte order");
        int length = EnsureBlock(blockOffset, bigEndian, PcapngFormat.SectionHeaderBlock, Fixed);
        s = _buffer.Span;
        ushort major = ByteOrder.U16(s[12..], bigEndian);
        ushort minor = ByteOrder.U16(s[14..], bigEndian);
        if (!PcapngFormat.IsKnownVersion(major, minor))
            throw Error(blockOffset + 12, $"unknown SHB version {major}.{minor} (1.0 and 1.2 are read)");
        int optionsStart = PcapngFormat.BlockHeaderLength + Fixed;
        var options = new PcapngOptionReader(s[optionsStart..(length - 4)], bigEndian, FileName, blockOffset + optionsStart);
        while (options.TryNext(out _, out _))
        {
        }
        _bigEndian = bigEndian;
        _interfaces = [];
        SectionCount++;
        _buffer.Advance(length);
    }

    /// <summary>Validates the block total length at the buffer's position and makes the whole block available.</summary>
    private int EnsureBlock(long blockOffset, bool bigEndian, uint type, int minimumBodyLength)
    {
        int length = CheckedLength(blockOffset, bigEndian, type, minimumBodyLength);
        if (!_buffer.Ensure(length))
            throw Error(blockOffset, $"truncated {BlockName(type)}: needs {length} bytes, file ends after {_buffer.Available}");
        uint trailer = ByteOrder.U32(_buffer.Span[(length - 4)..], bigEndian);
        if (trailer != length)
            throw Error(blockOffset + length - 4, $"{BlockName(type)} trailing block total length {trailer} differs from the leading {length}");
        return length;
    }

    /// <summary>Passes over a block the reader does not parse without buffering it; checks its lengths.</summary>
    private void SkipBlock(long blockOffset, uint type)
    {
        int length = CheckedLength(blockOffset, _bigEndian, type, minimumBodyLength: 0);
        long skipped = _buffer.Skip(length - 4);
        if (skipped < length - 4 || !_buffer.Ensure(4))
            throw Error(blockOffset, $"truncated {BlockName(type)}: needs {length} bytes, file ends after {skipped + _buffer.Available}");
        uint trailer = ByteOrder.U32(_buffer.Span, _bigEndian);
        if (trailer != length)
            throw Error(blockOffset + length - 4, $"{BlockName(type)} trailing block total length {trailer} differs from the leading {length}");
        _buffer.Advance(4);
    }

    /// <summary>The block total length at the buffer's position (8 bytes available), checked as tshark checks it.</summary>
    private int CheckedLength(long blockOffset, bool bigEndian, uint type, int minimumBodyLength)
    {
        uint length = ByteOrder.U32(_buffer.Span[4..], bigEndian);
        int minimum = PcapngFormat.MinimumBlockLength + minimumBodyLength;
        if (length < minimum || length % 4 != 0 || length > PcapngFormat.MaximumBlockLength)
            throw Error(blockOffset + 4, $"{BlockName(type)} has an invalid block total length {length} (must be a multiple of 4 from {minimum} to {PcapngFormat.MaximumBlockLength})");
        return (int)length;
    }

    /// <summary>The fixed fields of a block type (its body can be no shorter).</summary>
    private static int MinimumBodyLength(uint type) => type switch
    {
        PcapngFormat.InterfaceDescriptionBlock => 8,
        PcapngFormat.EnhancedPacketBlock or PcapngFormat.PacketBlock => 20,
        PcapngFormat.SimplePacketBlock => 4,
        _ => 0,
    };

    private bool ReadInterface(ReadOnlySpan<byte> body, long blockOffset)
    {
        const int Fixed = 8; // link type, reserved, snap length (MinimumBodyLength made sure they are there)
        ushort linkType = ByteOrder.U16(body, _bigEndian);
        uint snapLength = ByteOrder.U32(body[4..], _bigEndian);
        string? name = null;
        byte? tsresol = null;
        long? tsoffset = null;
        long optionsOffset = blockOffset + PcapngFormat.BlockHeaderLength + Fixed;
        var options = new PcapngOptionReader(body[Fixed..], _bigEndian, FileName, optionsOffset);
        while (options.TryNext(out ushort code, out ReadOnlySpan<byte> value))
        {
            switch (code)
            {
                case PcapngFormat.OptIfName:
                    name = Encoding.UTF8.GetString(value.TrimEnd((byte)0));
                    break;
                case PcapngFormat.OptIfTsResol when value.Length >= 1:
                    tsresol ??= value[0];
                    break;
                case PcapngFormat.OptIfTsOffset when value.Length >= 8:
                    tsoffset ??= ByteOrder.I64(value, _bigEndian);
                    break;
            }
        }
        _interfaces.Add(new PcapngInterface(linkType, snapLength, name, tsresol ?? 6, tsoffset ?? 0));
        return false;
    }

    private bool ReadEnhancedPacket(ReadOnlySpan<byte> body, long blockOffset, out CapturedFrame frame)
    {
        const int Fixed = 20; // interface id, timestamp (high, low), captured length, original length
        uint interfaceId = ByteOrder.U32(body, _bigEndian);
        ulong units = ((ulong)ByteOrder.U32(body[4..], _bigEndian) << 32) | ByteOrder.U32(body[8..], _bigEndian);
        uint capturedLength = ByteOrder.U32(body[12..], _bigEndian);
        uint originalLength = ByteOrder.U32(body[16..], _bigEndian);
        long fieldsOffset = blockOffset + PcapngFormat.BlockHeaderLength;
        CheckCapturedLength(capturedLength, fieldsOffset + 12);
        if (PcapngFormat.Pad4((int)capturedLength) > body.Length - Fixed)
            throw Error(fieldsOffset + 12, $"captured length {capturedLength} runs past the end of the Enhanced Packet Block ({body.Length - Fixed} bytes of data)");
        PcapngInterface itf = Interface(interfaceId, fieldsOffset);
        int dataEnd = Fixed + PcapngFormat.Pad4((int)capturedLength);
        var options = new PcapngOptionReader(body[dataEnd..], _bigEndian, FileName, fieldsOffset + dataEnd);
        while (options.TryNext(out _, out _))
        {
        }
        frame = new CapturedFrame(_buffer.Slice(PcapngFormat.BlockHeaderLength + Fixed, (int)capturedLength), itf.ToNanoseconds(units),
            (int)Math.Min(originalLength, int.MaxValue), (int)interfaceId, itf.Name, blockOffset);
        return true;
    }

    private bool ReadSimplePacket(ReadOnlySpan<byte> body, long blockOffset, out CapturedFrame frame)
    {
        const int Fixed = 4; // original length
        long fieldsOffset = blockOffset + PcapngFormat.BlockHeaderLength;
        PcapngInterface itf = Interface(0, fieldsOffset);
        uint originalLength = ByteOrder.U32(body, _bigEndian);
        // The captured length is implicit: the original length cut by the snap length and the block.
        long captured = Math.Min(originalLength, body.Length - Fixed);
        if (itf.SnapLength != 0)
            captured = Math.Min(captured, itf.SnapLength);
        CheckCapturedLength((uint)captured, fieldsOffset);
        frame = new CapturedFrame(_buffer.Slice(PcapngFormat.BlockHeaderLength + Fixed, (int)captured), 0,
            (int)Math.Min(originalLength, int.MaxValue), 0, itf.Name, blockOffset);
        return true;
    }

    private bool ReadObsoletePacket(ReadOnlySpan<byte> body, long blockOffset, out CapturedFrame frame)
    {
        const int Fixed = 20; // interface id (u16), drops count (u16), timestamp (high, low), captured length, original length
        uint interfaceId = ByteOrder.U16(body, _bigEndian);
        ulong units = ((ulong)ByteOrder.U32(body[4..], _bigEndian) << 32) | ByteOrder.U32(body[8..], _bigEndian);
        uint capturedLength = ByteOrder.U32(body[12..], _bigEndian);
        uint originalLength = ByteOrder.U32(body[16..], _bigEndian);
        long fieldsOffset = blockOffset + PcapngFormat.BlockHeaderLength;
        CheckCapturedLength(capturedLength, fieldsOffset + 12);
        if (capturedLength > (uint)(body.Length - Fixed))
            throw Error(fieldsOffset + 12, $"captured length {capturedLength} runs past the end of the Packet Block ({body.Length - Fixed} bytes of data)");
        PcapngInterface itf = Interface(interfaceId, fieldsOffset);
        frame = new CapturedFrame(_buffer.Slice(PcapngFormat.BlockHeaderLength + Fixed, (int)capturedLength), itf.ToNanoseconds(units),
            (int)Math.Min(originalLength, int.MaxValue), (int)interfaceId, itf.Name, blockOffset);
        return true;
    }

    /// <summary>tshark's limit on a packet block's captured bytes, checked before the bytes are looked at.</summary>
    private void CheckCapturedLength(uint capturedLength, long fieldOffset)
    {
        if (capturedLength > PcapFormat.MaximumSnapLength)
            throw Error(fieldOffset, $"captured length {capturedLength} is larger than the maximum of {PcapFormat.MaximumSnapLength}");
    }

    private PcapngInterface Interface(uint interfaceId, long fieldOffset)
    {
        if (interfaceId >= (uint)_interfaces.Count)
            throw Error(fieldOffset, $"interface id {interfaceId} is not described by an Interface Description Block (the section has {_interfaces.Count})");
        PcapngInterface itf = _interfaces[(int)interfaceId];
        if (itf.LinkType != LinkTypes.Ethernet)
            throw Error(fieldOffset, $"interface {interfaceId} has link type {itf.LinkType}; only Ethernet (link type 1) is supported");
        return itf;
    }

    private static string BlockName(uint type) => type switch
    {
        PcapngFormat.InterfaceDescriptionBlock => "Interface Description Block",
        PcapngFormat.EnhancedPacketBlock => "Enhanced Packet Block",
        PcapngFormat.SimplePacketBlock => "Simple Packet Block",
        PcapngFormat.PacketBlock => "Packet Block",
        PcapngFormat.SectionHeaderBlock => "Section Header Block",
        _ => $"block of type 0x{type:x8}",
    };

    private InputException Error(long offset, string what) => InputException.AtOffset(FileName, offset, what);
}
