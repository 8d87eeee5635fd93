using Datapath.Packets;

namespace Datapath.Antrea;

/// <summary>A value of a <see cref="RegField"/> with a meaning (Antrea's RegMark: <c>FromGatewayRegMark = NewRegMark(PktSourceField, 1)</c>).</summary>
public sealed class RegMark
{
    public RegMark(RegField field, uint value, string name)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (field.Width < 32 && value >> field.Width != 0)
            throw new ArgumentOutOfRangeException(nameof(value), $"{value} does not fit in {field}");
        Field = field;
        Value = value;
        Name = name;
    }

    public RegField Field { get; }
    public uint Value { get; }
    public string Name { get; }

    public bool IsSet(in FlowKey key) => Field.Read(in key) == Value;

    /// <summary>The load action that sets it (<c>load:0x1->NXM_NX_REG0[0..15]</c>).</summary>
    public string LoadAction => $"load:0x{Value:x}->{Field}";

    /// <summary>The match that tests it (<c>reg0=0x1/0xffff</c>).</summary>
    public string MatchText
    {
        get
        {
            uint mask = (Field.Width == 32 ? uint.MaxValue : (1u << Field.Width) - 1) << Field.Start;
            return $"reg{Field.Register}=0x{Value << Field.Start:x}/0x{mask:x}";
        }
    }
}
