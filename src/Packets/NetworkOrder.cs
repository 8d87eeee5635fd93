using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Datapath.Packets;

/// <summary>
/// Unchecked big-endian reads at a byte offset from a reference, for the extraction hot path.
/// Callers check the length once per header (<c>(uint)(off + n) &lt;= (uint)len</c>) and then read.
/// </summary>
internal static class NetworkOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort U16(ref byte b, int offset)
    {
        ushort v = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, offset));
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(v) : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint U32(ref byte b, int offset)
    {
        uint v = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, offset));
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(v) : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong U64(ref byte b, int offset)
    {
        ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, offset));
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(v) : v;
    }

    /// <summary>A 48-bit MAC address (first octet most significant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mac(ref byte b, int offset)
        => ((ulong)U16(ref b, offset) << 32) | U32(ref b, offset + 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte U8(ref byte b, int offset) => Unsafe.Add(ref b, offset);
}
