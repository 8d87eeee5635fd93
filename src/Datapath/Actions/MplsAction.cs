using System.Globalization;
using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// The MPLS actions of ovs-actions(7): <c>push_mpls:ETHERTYPE</c> and <c>pop_mpls:ETHERTYPE</c> (a label stack entry
/// pushed after the Ethernet and VLAN headers, or the top one removed), <c>set_mpls_label</c>, <c>set_mpls_tc</c>,
/// <c>set_mpls_ttl</c> (the top entry's fields) and <c>dec_mpls_ttl</c>. The set actions change only an MPLS packet
/// (OVS's compose_set_mpls_*_action); <c>set_field</c>/<c>load</c> to <c>mpls_*</c> are <see cref="SetFieldAction"/>s.
/// </summary>
public sealed class MplsAction : FlowAction
{
    private MplsAction(ActionKind kind, string keyword, uint value, FieldId? field = null) : base(kind)
    {
        Keyword = keyword;
        Value = value;
        Field = field;
    }

    /// <summary><c>push_mpls</c>, <c>pop_mpls</c>, <c>set_mpls_label</c>, <c>set_mpls_tc</c>, <c>set_mpls_ttl</c>, <c>dec_mpls_ttl</c>.</summary>
    public string Keyword { get; }
    /// <summary>The EtherType (push, pop), the label, tc or ttl (set); 0 for dec_mpls_ttl.</summary>
    public uint Value { get; }
    /// <summary>The field a set action writes (mpls_label, mpls_tc, mpls_ttl).</summary>
    public FieldId? Field { get; }

    public ushort EtherType => (ushort)Value;

    public static MplsAction Push(ushort etherType) => new(ActionKind.PushMpls, "push_mpls", etherType);

    public static MplsAction Pop(ushort etherType) => new(ActionKind.PopMpls, "pop_mpls", etherType);

    public static MplsAction Set(FieldId field, uint value) => field switch
    {
        FieldId.MplsLabel => new(ActionKind.SetMpls, "set_mpls_label", value, field),
        FieldId.MplsTc => new(ActionKind.SetMpls, "set_mpls_tc", value, field),
        FieldId.MplsTtl => new(ActionKind.SetMpls, "set_mpls_ttl", value, field),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "set_mpls_* writes mpls_label, mpls_tc or mpls_ttl"),
    };

    public static MplsAction DecTtl() => new(ActionKind.DecMplsTtl, "dec_mpls_ttl", 0);

    /// <summary>As OVS prints them over OpenFlow 1.0: <c>push_mpls:0x8847</c>, <c>set_mpls_label(5)</c>, <c>dec_mpls_ttl</c>.</summary>
    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        switch (Kind)
        {
            case ActionKind.PushMpls or ActionKind.PopMpls:
                sb.Append(Keyword).Append(":0x").Append(EtherType.ToString("x4", CultureInfo.InvariantCulture));
                break;
            case ActionKind.DecMplsTtl:
                sb.Append(Keyword);
                break;
            default:
                sb.Append(Keyword).Append('(').Append(Value.ToString(CultureInfo.InvariantCulture)).Append(')');
                break;
        }
    }

    /// <summary>Over OpenFlow 1.2+ set_mpls_label and set_mpls_tc are Set-Field actions (<c>set_field:5-&gt;mpls_label</c>).</summary>
    public override void FormatOvs(StringBuilder sb)
    {
        if (Field is FieldId.MplsLabel or FieldId.MplsTc)
            sb.Append("set_field:").Append(Value.ToString(CultureInfo.InvariantCulture)).Append("->").Append(FieldRegistry.Get(Field.Value).Name);
        else
            Format(sb, null);
    }
}
