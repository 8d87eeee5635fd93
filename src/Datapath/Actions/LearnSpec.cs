using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// One flow-building argument of <c>learn</c> (OVS's struct ofpact_learn_spec): where its bits come from (a
/// subfield of the packet being translated, or an immediate value right-aligned to the destination's bits) and
/// what they become (a match field, a load, an output port).
/// </summary>
/// <remarks>Invariant: the source, when present, has as many bits as the destination (or, for output, is the destination).</remarks>
public sealed class LearnSpec
{
    public LearnSpec(LearnSpecKind kind, FieldRef destination, FieldRef? source, UInt128 immediate)
    {
        Kind = kind;
        Destination = destination;
        Source = source;
        Immediate = immediate;
    }

    public LearnSpecKind Kind { get; }
    /// <summary>The match field or load destination; for output, the port's field (also <see cref="Source"/>).</summary>
    public FieldRef Destination { get; }
    /// <summary>The packet's subfield the value is read from, or null for <see cref="Immediate"/>.</summary>
    public FieldRef? Source { get; }
    /// <summary>The value when <see cref="Source"/> is null, right-aligned to the destination's bits.</summary>
    public UInt128 Immediate { get; }

    /// <summary>The value this spec puts in the learned flow for <paramref name="key"/>.</summary>
    public UInt128 ValueFor(in FlowKey key) => Source is { } src ? src.Read(in key) : Immediate;

    /// <summary>Appends the spec as OVS's learn_format prints it.</summary>
    public void Format(StringBuilder sb, IPortMap? ports)
    {
        var dst = Destination;
        switch (Kind)
        {
            case LearnSpecKind.Match when Source is null:
                if (dst.Start == 0 && dst.Count == OvsFieldNames.Width(dst.Field, dst.Name))
                    sb.Append(OvsFieldNames.MfName(dst.Field, dst.Name)).Append('=').Append(FieldSyntax.FormatValue(dst.Field, Immediate, ports));
                else
                {
                    OvsFieldNames.AppendSubfield(sb, dst);
                    SetFieldAction.AppendHex(sb.Append('='), Immediate);
                }
                break;
            case LearnSpecKind.Match:
                OvsFieldNames.AppendSubfield(sb, dst);
                var src = Source.Value;
                if (src.Field.Id != dst.Field.Id || src.Start != dst.Start || OvsFieldNames.NxmName(src.Field, src.Name) != OvsFieldNames.NxmName(dst.Field, dst.Name))
                    OvsFieldNames.AppendSubfield(sb.Append('='), src);
                break;
            case LearnSpecKind.Load:
                sb.Append("load:");
                if (Source is { } ls)
                    OvsFieldNames.AppendSubfield(sb, ls);
                else
                    SetFieldAction.AppendHex(sb, Immediate);
                OvsFieldNames.AppendSubfield(sb.Append("->"), dst);
                break;
            default:
                OvsFieldNames.AppendSubfield(sb.Append("output:"), dst);
                break;
        }
    }
}
