using Datapath.Packets;

namespace Datapath.Io.Capture;

/// <summary>
/// Walks the options of a pcapng block (code u16, length u16, value padded to 4 bytes) up to
/// opt_endofopt or the end of the block. Throws <see cref="InputException"/> at the option's offset
/// when an option runs past the end of the block (as tshark: "Not enough data to handle option").
/// </summary>
internal ref struct PcapngOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private readonly bool _bigEndian;
    private readonly string _fileName;
    private readonly long _fileOffset;
    private int _position;

    /// <param name="options">The options area of a block body.</param>
    /// <param name="bigEndian">The section's byte order.</param>
    /// <param name="fileName">The file, for error messages.</param>
    /// <param name="fileOffset">File offset of <paramref name="options"/>[0], for error messages.</param>
    public PcapngOptionReader(ReadOnlySpan<byte> options, bool bigEndian, string fileName, long fileOffset)
    {
        _options = options;
        _bigEndian = bigEndian;
        _fileName = fileName;
        _fileOffset = fileOffset;
        _position = 0;
    }

    public bool TryNext(out ushort code, out ReadOnlySpan<byte> value)
    {
        code = 0;
        value = default;
        int remaining = _options.Length - _position;
        if (remaining == 0)
            return false;
        if (remaining < 4)
            throw InputException.AtOffset(_fileName, _fileOffset + _position, $"option header needs 4 bytes, block has {remaining} left");
        code = ByteOrder.U16(_options[_position..], _bigEndian);
        int length = ByteOrder.U16(_options[(_position + 2)..], _bigEndian);
        if (code == PcapngFormat.OptEndOfOptions)
        {
            _position = _options.Length;
            return false;
        }
        int padded = PcapngFormat.Pad4(length);
        if (padded > remaining - 4)
            throw InputException.AtOffset(_fileName, _fileOffset + _position, $"option {code} of {length} bytes runs past the end of the block");
        value = _options.Slice(_position + 4, length);
        _position += 4 + padded;
        return true;
    }
}
