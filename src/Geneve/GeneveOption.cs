using System.Buffers.Binary;

namespace Datapath.Geneve;

/// <summary>
/// Zero-copy view of one GENEVE option TLV (RFC 8926 §3.5): Option Class (16 bits), Type (8 bits,
/// the high bit is the critical bit), three reserved bits, Length (5 bits, the data length in
/// 4-byte words, not counting this 4-byte option header), then the data.
/// </summary>
public readonly ref struct GeneveOption
{
    /// <summary>Length of the option header (class, type, flags/length) in bytes.</summary>
    public const int HeaderLength = 4;
    /// <summary>The 5-bit Length field allows at most 31 words of data.</summary>
    public const int MaxLengthWords = 0x1F;
    /// <summary>The largest option data in bytes.</summary>
    public const int MaxDataLength = MaxLengthWords * 4;
    /// <summary>The critical bit in Type: a receiver that does not understand the option must drop the packet.</summary>
    public const byte CriticalTypeBit = 0x80;

    private readonly ReadOnlySpan<byte> _bytes;   // header + data, exactly TotalLength bytes

    private GeneveOption(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Reads the option at the start of <paramref name="bytes"/>. False when fewer than 4 bytes,
    /// or fewer than the data its Length announces, are present.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out GeneveOption option)
    {
        if (bytes.Length < HeaderLength)
        {
            option = default;
            return false;
        }
        int total = HeaderLength + (bytes[3] & MaxLengthWords) * 4;
        if (bytes.Length < total)
        {
            option = default;
            return false;
        }
        option = new GeneveOption(bytes[..total]);
        return true;
    }

    /// <summary>Option Class (IANA registry; 0x0100..0x01FF is Open vSwitch's, 0xFFFF experimental).</summary>
    public ushort Class => BinaryPrimitives.ReadUInt16BigEndian(_bytes);

    /// <summary>Type, including the critical bit 0x80.</summary>
    public byte Type => _bytes[2];

    /// <summary>The critical bit of <see cref="Type"/>.</summary>
    public bool IsCritical => (_bytes[2] & CriticalTypeBit) != 0;

    /// <summary>The three reserved bits (ignored on receipt).</summary>
    public int Reserved => _bytes[3] >> 5;

    /// <summary>Length: the data length in 4-byte words.</summary>
    public int LengthWords => _bytes[3] & MaxLengthWords;

    /// <summary>The data length in bytes.</summary>
    public int DataLength => LengthWords * 4;

    /// <summary>Header plus data, in bytes.</summary>
    public int TotalLength => HeaderLength + DataLength;

    /// <summary>The option data.</summary>
    public ReadOnlySpan<byte> Data => _bytes[HeaderLength..];

    /// <summary>
    /// Writes an option with <paramref name="data"/> (a multiple of 4 bytes, at most 124).
    /// False when <paramref name="destination"/> is too short; nothing is written then.
    /// </summary>
    /// <exception cref="ArgumentException">The data length is not a multiple of 4 or over 124 bytes.</exception>
    public static bool TryWrite(Span<byte> destination, ushort optionClass, byte type, ReadOnlySpan<byte> data, out int bytesWritten)
    {
        if (data.Length % 4 != 0 || data.Length > MaxDataLength)
            ThrowHelper.ThrowArgument(nameof(data), "GENEVE option data is a multiple of 4 bytes, at most 124");
        int total = HeaderLength + data.Length;
        if (destination.Length < total)
        {
            bytesWritten = 0;
            return false;
        }
        WriteHeaderCore(destination, optionClass, type, data.Length / 4);
        data.CopyTo(destination[HeaderLength..]);
        bytesWritten = total;
        return true;
    }

    internal static void WriteHeaderCore(Span<byte> destination, ushort optionClass, byte type, int lengthWords)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, optionClass);
        destination[2] = type;
        destination[3] = (byte)lengthWords;
    }
}
