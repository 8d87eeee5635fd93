using System.Text;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// A field or a bit range of one (<c>NXM_NX_REG0[0..15]</c>, <c>reg0[16]</c>, <c>NXM_OF_ETH_DST[]</c>),
/// remembering the name the user wrote so actions print back as loaded.
/// </summary>
/// <remarks>Invariant: 0 &lt;= Start, 1 &lt;= Count, Start + Count &lt;= Field.BitWidth.</remarks>
public readonly struct FieldRef
{
    public FieldRef(FieldInfo field, int start, int count, string? name = null, bool brackets = true)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (start < 0 || count < 1 || start + count > field.BitWidth)
            throw new ArgumentOutOfRangeException(nameof(count), $"bits {start}..{start + count - 1} are outside {field.Name} ({field.BitWidth} bits)");
        Field = field;
        Start = start;
        Count = count;
        Name = name ?? field.Name;
        Brackets = brackets;
    }

    /// <summary>The whole field as OVS sizes it under <paramref name="name"/> (NXM_OF_IN_PORT and in_port: 16 bits, OvsFieldNames.Width).</summary>
    public static FieldRef Whole(FieldInfo field, string? name = null, bool brackets = true) => new(field, 0, OvsFieldNames.Width(field, name), name, brackets);

    public FieldInfo Field { get; }
    public int Start { get; }
    public int Count { get; }
    /// <summary>The field's name as written (<c>NXM_NX_REG0</c>, <c>reg0</c>).</summary>
    public string Name { get; }
    /// <summary>Written with a bit range suffix (<c>[]</c>, <c>[n]</c>, <c>[a..b]</c>).</summary>
    public bool Brackets { get; }

    public bool IsWhole => Start == 0 && Count == Field.BitWidth;

    /// <summary>All ones over the range, right-aligned.</summary>
    public UInt128 ValueMask => Count >= 128 ? UInt128.MaxValue : (UInt128.One << Count) - UInt128.One;

    public UInt128 Read(in FlowKey key) => FieldRegistry.ReadBits(in key, Field, Start, Count);

    public void Write(ref FlowKey key, UInt128 value) => FieldRegistry.WriteBits(ref key, Field, Start, Count, value);

    /// <summary>Marks the range as consulted (all ones) in a wildcard mask.</summary>
    public void Consult(ref FlowKey mask) => FieldRegistry.WriteBits(ref mask, Field, Start, Count, UInt128.MaxValue);

    public void Format(StringBuilder sb)
    {
        sb.Append(Name);
        if (!Brackets)
            return;
        int start = Start - VlanFieldViews.ViewStart(Field, Name); // OXM_OF_VLAN_PCP[] is vlan_tci[13..15]
        if (start == 0 && Count == OvsFieldNames.Width(Field, Name))
            sb.Append("[]");
        else if (Count == 1)
            sb.Append('[').Append(start).Append(']');
        else
            sb.Append('[').Append(start).Append("..").Append(start + Count - 1).Append(']');
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        Format(sb);
        return sb.ToString();
    }
}
