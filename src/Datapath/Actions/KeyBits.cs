using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// A bit range of a field compiled at flow load into a direct access to the FlowKey's storage:
/// byte offset, storage size (1, 2, 4 or 8 bytes), first bit and a right-aligned mask. Only
/// fields stored as one integer (FieldStorage U8..U64) compile; the others (U128, xreg, xxreg)
/// keep FieldRegistry's general path, so <see cref="IsSet"/> is false for them.
/// </summary>
/// <remarks>
/// Same result as FieldRegistry.ReadBits/WriteBits for every field that compiles: the range lies
/// inside the field's width (FieldRef's invariant), so the bits outside it, including storage
/// bits shared with another field, are kept. Costs a load, a mask and a store, no UInt128 work.
/// </remarks>
internal readonly struct KeyBits
{
    private readonly int _offset;
    private readonly byte _size;
    private readonly byte _start;
    private readonly ulong _mask;

    private KeyBits(int offset, byte size, byte start, ulong mask)
    {
        _offset = offset;
        _size = size;
        _start = start;
        _mask = mask;
    }

    /// <summary>False when the range did not compile (use the FieldRef).</summary>
    public bool IsSet => _size != 0;

    /// <summary>Compiles <paramref name="range"/>, or returns the unset value when its storage is not one integer.</summary>
    public static KeyBits For(FieldRef range)
    {
        byte size = range.Field.Storage switch
        {
            FieldStorage.U8 => 1,
            FieldStorage.U16 => 2,
            FieldStorage.U32 => 4,
            FieldStorage.U64 => 8,
            _ => 0,
        };
        if (size == 0 || range.Start + range.Count > size * 8)
            return default;
        ulong mask = range.Count >= 64 ? ulong.MaxValue : (1UL << range.Count) - 1;
        return new KeyBits(range.Field.Offset, size, (byte)range.Start, mask);
    }

    /// <summary>The range's value, right-aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Read(in FlowKey key)
    {
        ref byte b = ref Unsafe.Add(ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in key)), _offset);
        ulong raw = _size switch
        {
            1 => b,
            2 => Unsafe.ReadUnaligned<ushort>(ref b),
            4 => Unsafe.ReadUnaligned<uint>(ref b),
            _ => Unsafe.ReadUnaligned<ulong>(ref b),
        };
        return (raw >> _start) & _mask;
    }

    /// <summary>Writes <paramref name="value"/> (right-aligned) into the bits of <paramref name="bits"/> (right-aligned, within the range); other bits are kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(ref FlowKey key, ulong value, ulong bits)
    {
        ulong m = (bits & _mask) << _start;
        ulong v = (value << _start) & m;
        ref byte b = ref Unsafe.Add(ref Unsafe.As<FlowKey, byte>(ref key), _offset);
        switch (_size)
        {
            case 1:
                b = (byte)((b & ~(uint)m) | (uint)v);
                break;
            case 2:
                Unsafe.WriteUnaligned(ref b, (ushort)((Unsafe.ReadUnaligned<ushort>(ref b) & ~(uint)m) | (uint)v));
                break;
            case 4:
                Unsafe.WriteUnaligned(ref b, (Unsafe.ReadUnaligned<uint>(ref b) & ~(uint)m) | (uint)v);
                break;
            default:
                Unsafe.WriteUnaligned(ref b, (Unsafe.ReadUnaligned<ulong>(ref b) & ~m) | v);
                break;
        }
    }

    /// <summary>Writes the whole range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(ref FlowKey key, ulong value) => Write(ref key, value, ulong.MaxValue);

    /// <summary>Sets every bit of the range (marks it consulted in a wildcard mask).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetAll(ref FlowKey mask) => Write(ref mask, ulong.MaxValue, ulong.MaxValue);
}
