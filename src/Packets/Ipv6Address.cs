using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Datapath.Packets;

/// <summary>An IPv6 address as a host-order <see cref="UInt128"/> (the first octet is most significant).</summary>
public readonly struct Ipv6Address : IEquatable<Ipv6Address>, ISpanFormattable
{
    public const int Length = 16;

    public Ipv6Address(UInt128 value) => Value = value;

    public Ipv6Address(ulong high, ulong low) => Value = new UInt128(high, low);

    public UInt128 Value { get; }
    public ulong High => (ulong)(Value >> 64);
    public ulong Low => (ulong)Value;

    public static Ipv6Address Read(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt128BigEndian(bytes));

    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, Value);

    public static Ipv6Address Parse(string text)
        => TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IPv6 address");

    public static bool TryParse(ReadOnlySpan<char> text, out Ipv6Address address)
    {
        address = default;
        if (text.IndexOf(':') < 0 || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
            return false;
        Span<byte> b = stackalloc byte[16];
        ip.TryWriteBytes(b, out _);
        address = Read(b);
        return true;
    }

    /// <summary>The mask of a prefix length: /64 keeps the high 64 bits.</summary>
    public static UInt128 PrefixMask(int prefixLength)
        => prefixLength <= 0 ? UInt128.Zero : prefixLength >= 128 ? UInt128.MaxValue : UInt128.MaxValue << (128 - prefixLength);

    public override string ToString() => ToString(null, null);

    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<byte> b = stackalloc byte[16];
        Write(b);
        return new IPAddress(b).ToString();
    }

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        Span<byte> b = stackalloc byte[16];
        Write(b);
        return new IPAddress(b).TryFormat(destination, out charsWritten);
    }

    public bool Equals(Ipv6Address other) => Value == other.Value;
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Ipv6Address a && Equals(a);
    public override int GetHashCode() => Value.GetHashCode();
    public static bool operator ==(Ipv6Address a, Ipv6Address b) => a.Value == b.Value;
    public static bool operator !=(Ipv6Address a, Ipv6Address b) => a.Value != b.Value;
}
