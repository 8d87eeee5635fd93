using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Antrea;

/// <summary>
/// A named bit range of an OVS register, declared once as Antrea's pkg/agent/openflow/fields.go
/// does (<c>NewRegField(0, 0, 15, "PacketSource")</c>).
/// </summary>
public sealed class RegField
{
    public RegField(int register, int start, int end, string name)
    {
        if (register is < 0 or > 15 || start < 0 || end > 31 || end < start)
            throw new ArgumentOutOfRangeException(nameof(end), $"reg{register}[{start}..{end}] is not a register range");
        Register = register;
        Start = start;
        End = end;
        Name = name;
    }

    public int Register { get; }
    public int Start { get; }
    public int End { get; }
    public string Name { get; }
    public int Width => End - Start + 1;

    /// <summary>The range as an action operand (<c>NXM_NX_REG0[0..15]</c>).</summary>
    public FieldRef ToFieldRef() => new(FieldRegistry.Get(FieldId.Reg0 + Register), Start, Width, $"NXM_NX_REG{Register}");

    public uint Read(in FlowKey key) => (uint)FieldRegistry.ReadBits(in key, FieldRegistry.Get(FieldId.Reg0 + Register), Start, Width);

    public override string ToString() => Width == 1 ? $"NXM_NX_REG{Register}[{Start}]" : $"NXM_NX_REG{Register}[{Start}..{End}]";
}
