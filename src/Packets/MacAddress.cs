using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Datapath.Packets;

/// <summary>A 48-bit Ethernet address held in the low 48 bits of a <see cref="ulong"/> (network order: first octet is most significant).</summary>
public readonly struct MacAddress : IEquatable<MacAddress>, ISpanFormattable
{
    public const int Length = 6;
    public const ulong Mask = 0xFFFF_FFFF_FFFFUL;

    public static readonly MacAddress Broadcast = new(Mask);
    public static readonly MacAddress Zero = new(0);

    public MacAddress(ulong value) => Value = value & Mask;

    public ulong Value { get; }

    public bool IsBroadcast => Value == Mask;
    /// <summary>The I/G bit: group (multicast or broadcast) address.</summary>
    public bool IsMulticast => (Value & 0x0100_0000_0000UL) != 0;

    public static MacAddress Read(ReadOnlySpan<byte> bytes)
        => new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    public static MacAddress Parse(string text)
        => TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (expected xx:xx:xx:xx:xx:xx)");

    /// <summary>Parses <c>xx:xx:xx:xx:xx:xx</c> (or with '-').</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress mac)
    {
        mac = default;
        if (text.Length != 17)
            return false;
        ulong v = 0;
        for (int i = 0; i < 6; i++)
        {
            int p = i * 3;
            if (i > 0 && text[p - 1] != ':' && text[p - 1] != '-')
                return false;
            if (!byte.TryParse(text.Slice(p, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                return false;
            v = (v << 8) | b;
        }
        mac = new MacAddress(v);
        return true;
    }

    public override string ToString() => ToString(null, null);

    public string ToString(string? format, IFormatProvider? formatProvider)
        => string.Create(17, Value, static (span, v) => FormatCore(span, v));

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < 17)
            return false;
        FormatCore(destination, Value);
        charsWritten = 17;
        return true;
    }

    private static void FormatCore(Span<char> span, ulong v)
    {
        const string Hex = "0123456789abcdef";
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(v >> (40 - 8 * i));
            span[i * 3] = Hex[b >> 4];
            span[i * 3 + 1] = Hex[b & 0xF];
            if (i < 5)
                span[i * 3 + 2] = ':';
        }
    }

    public bool Equals(MacAddress other) => Value == other.Value;
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is MacAddress m && Equals(m);
    public override int GetHashCode() => Value.GetHashCode();
    public static bool operator ==(MacAddress a, MacAddress b) => a.Value == b.Value;
    public static bool operator !=(MacAddress a, MacAddress b) => a.Value != b.Value;
}
