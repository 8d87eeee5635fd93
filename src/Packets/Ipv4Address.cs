using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Datapath.Packets;

/// <summary>An IPv4 address as a host-order <see cref="uint"/> (10.0.0.1 is 0x0A000001).</summary>
public readonly struct Ipv4Address : IEquatable<Ipv4Address>, IComparable<Ipv4Address>, ISpanFormattable
{
    public const int Length = 4;

    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(uint.MaxValue);

    public Ipv4Address(uint value) => Value = value;

    public Ipv4Address(byte a, byte b, byte c, byte d) => Value = ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;

    public uint Value { get; }

    public static Ipv4Address Read(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt32BigEndian(bytes));

    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Value);

    public static Ipv4Address Parse(string text)
        => TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IPv4 address");

    /// <summary>Parses dotted-quad notation (exactly four decimal octets).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Address address)
    {
        address = default;
        uint v = 0;
        int octets = 0;
        while (octets < 4)
        {
            int dot = text.IndexOf('.');
            var part = dot < 0 ? text : text[..dot];
            if (part.Length is 0 or > 3 || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out byte b))
                return false;
            v = (v << 8) | b;
            octets++;
            if (dot < 0)
            {
                text = default;
                break;
            }
            text = text[(dot + 1)..];
        }
        if (octets != 4 || !text.IsEmpty)
            return false;
        address = new Ipv4Address(v);
        return true;
    }

    /// <summary>The netmask of a prefix length: /24 is 255.255.255.0.</summary>
    public static uint PrefixMask(int prefixLength)
        => prefixLength <= 0 ? 0u : prefixLength >= 32 ? uint.MaxValue : uint.MaxValue << (32 - prefixLength);

    public override string ToString() => ToString(null, null);

    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> buf = stackalloc char[15];
        TryFormat(buf, out int n, default, null);
        return new string(buf[..n]);
    }

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                if (charsWritten >= destination.Length)
                    return false;
                destination[charsWritten++] = '.';
            }
            byte b = (byte)(Value >> (24 - 8 * i));
            if (!b.TryFormat(destination[charsWritten..], out int w, default, CultureInfo.InvariantCulture))
                return false;
            charsWritten += w;
        }
        return true;
    }

    public bool Equals(Ipv4Address other) => Value == other.Value;
    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Ipv4Address a && Equals(a);
    public override int GetHashCode() => (int)Value;
    public static bool operator ==(Ipv4Address a, Ipv4Address b) => a.Value == b.Value;
    public static bool operator !=(Ipv4Address a, Ipv4Address b) => a.Value != b.Value;
    public static bool operator <(Ipv4Address a, Ipv4Address b) => a.Value < b.Value;
    public static bool operator >(Ipv4Address a, Ipv4Address b) => a.Value > b.Value;
    public static bool operator <=(Ipv4Address a, Ipv4Address b) => a.Value <= b.Value;
    public static bool operator >=(Ipv4Address a, Ipv4Address b) => a.Value >= b.Value;
}
