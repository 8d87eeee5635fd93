using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// Bits [<see cref="Start"/>, <see cref="Start"/>+<see cref="Count"/>) of a field, as
/// <c>NXM_NX_REG0[0..15]</c> or <c>reg0[16]</c> names them (ovs-actions(7) "Field Specifications").
/// </summary>
public readonly struct Subfield : IEquatable<Subfield>
{
    public Subfield(FieldInfo field, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (start < 0 || count <= 0 || start + count > field.BitWidth)
            throw new ArgumentOutOfRangeException(nameof(count), $"bits {start}..{start + count - 1} are outside {field.Name} ({field.BitWidth} bits)");
        Field = field;
        Start = start;
        Count = count;
    }

    public FieldInfo Field { get; }
    public int Start { get; }
    public int Count { get; }

    /// <summary>The subfield covers the whole field.</summary>
    public bool IsWholeField => Start == 0 && Count == Field.BitWidth;

    public UInt128 Read(in FlowKey key) => FieldRegistry.ReadBits(in key, Field, Start, Count);

    public void Write(ref FlowKey key, UInt128 value) => FieldRegistry.WriteBits(ref key, Field, Start, Count, value);

    /// <summary>The subfield's bits, positioned within the field (for building masks).</summary>
    public UInt128 FieldMask => (Count >= 128 ? UInt128.MaxValue : (UInt128.One << Count) - UInt128.One) << Start;

    public bool Equals(Subfield other) => ReferenceEquals(Field, other.Field) && Start == other.Start && Count == other.Count;
    public override bool Equals(object? obj) => obj is Subfield s && Equals(s);
    public override int GetHashCode() => HashCode.Combine(Field?.Id, Start, Count);
    public static bool operator ==(Subfield a, Subfield b) => a.Equals(b);
    public static bool operator !=(Subfield a, Subfield b) => !a.Equals(b);

    /// <summary>The OVS form: <c>reg0[0..15]</c>, <c>reg0[16]</c> or <c>reg0[]</c>.</summary>
    public override string ToString()
    {
        if (Field is null)
            return "<none>";
        if (IsWholeField)
            return Field.Name + "[]";
        return Count == 1 ? $"{Field.Name}[{Start}]" : $"{Field.Name}[{Start}..{Start + Count - 1}]";
    }
}
