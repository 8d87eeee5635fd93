using System.Globalization;

namespace Datapath.Geneve;

/// <summary>
/// One mapping of the tunnel TLV table: GENEVE options with this class and type (critical bit
/// included) and <see cref="Length"/> bytes of data are tun_metadata<see cref="Index"/>
/// (ovs-ofctl(8) add-tlv-map: <c>{class=0xffff,type=0,len=4}->tun_metadata0</c>).
/// </summary>
public readonly record struct TlvMapEntry
{
    /// <summary>FlowKey holds tun_metadata0..7.</summary>
    public const int MaxIndex = 7;
    /// <summary>FlowKey holds each tun_metadataN in 64 bits, so option data of 4 or 8 bytes.</summary>
    public const int MaxLength = 8;

    /// <exception cref="ArgumentOutOfRangeException">Length not 4 or 8, or index past tun_metadata7.</exception>
    public TlvMapEntry(ushort optionClass, byte type, int length, int index)
    {
        if (length is not (4 or 8))
            ThrowHelper.ThrowArgumentOutOfRange(nameof(length), "len must be 4 or 8 (tun_metadataN holds 64 bits here)");
        if ((uint)index > MaxIndex)
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), "tun_metadata0..tun_metadata7 exist");
        OptionClass = optionClass;
        Type = type;
        Length = (byte)length;
        Index = (byte)index;
    }

    public ushort OptionClass { get; }
    /// <summary>The option type, critical bit (0x80) included.</summary>
    public byte Type { get; }
    /// <summary>The option data length in bytes (a multiple of 4).</summary>
    public byte Length { get; }
    /// <summary>N of tun_metadataN.</summary>
    public byte Index { get; }

    /// <summary>(class, type) packed as the lookup key.</summary>
    internal uint Key => ((uint)OptionClass << 8) | Type;

    /// <summary>The add-tlv-map form: <c>{class=0xffff,type=0,len=4}->tun_metadata0</c>.</summary>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{{class=0x{OptionClass:x},type=0x{Type:x},len={Length}}}->tun_metadata{Index}");
}
