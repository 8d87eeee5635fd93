using System.Globalization;
using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>How a field write was spelled, so it prints back the same.</summary>
public enum SetFieldSyntax
{
    /// <summary><c>load:VALUE->DST[range]</c></summary>
    Load,
    /// <summary><c>set_field:VALUE[/MASK]->FIELD</c></summary>
    SetField,
    /// <summary><c>mod_dl_src:MAC</c>, <c>mod_nw_dst:IP</c>, <c>mod_tp_dst:N</c>, ... (the keyword is kept).</summary>
    Mod,
}

/// <summary>
/// Writes a value into a field or a bit range of one: load, set_field and the mod_* actions
/// (ovs-actions(7) "Field Modification Actions"). The write is <c>(old &amp; ~Mask) | (Value &amp; Mask)</c>
/// over the range of <see cref="Destination"/>.
/// </summary>
public sealed class SetFieldAction : FlowAction
{
    public SetFieldAction(FieldRef destination, UInt128 value, UInt128 mask, SetFieldSyntax syntax, string? keyword = null, string? valueText = null)
        : base(ActionKind.SetField)
    {
        Destination = destination;
        Mask = mask & destination.ValueMask;
        Value = value & Mask;
        Syntax = syntax;
        Keyword = keyword ?? (syntax == SetFieldSyntax.Load ? "load" : "set_field");
        ValueText = valueText;
        _bits = KeyBits.For(destination);
        _value = (ulong)Value;
        _mask = (ulong)Mask;
    }

    // Compiled at load (KeyBits): the write is one masked store when the destination is one integer.
    private readonly KeyBits _bits;
    private readonly ulong _value;
    private readonly ulong _mask;

    public FieldRef Destination { get; }
    /// <summary>Right-aligned to the destination range.</summary>
    public UInt128 Value { get; }
    /// <summary>Which bits of the range are written (all ones unless set_field had /mask).</summary>
    public UInt128 Mask { get; }
    public SetFieldSyntax Syntax { get; }
    public string Keyword { get; }
    /// <summary>The value as written, for set_field and mod_* (a MAC, an address, flags).</summary>
    public string? ValueText { get; }

    /// <summary>A write of the PCP view (set_field vlan_pcp, load to OXM_OF_VLAN_PCP): it needs a tag, and an untagged packet is left alone.</summary>
    public bool NeedsVlanTag => VlanFieldViews.IsPcp(Destination);

    public void Execute(ref FlowKey key)
    {
        if (_bits.IsSet)
        {
            _bits.Write(ref key, _value, _mask);
            return;
        }
        if (Mask == Destination.ValueMask)
        {
            Destination.Write(ref key, Value);
            return;
        }
        UInt128 old = Destination.Read(in key);
        Destination.Write(ref key, (old & ~Mask) | Value);
    }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        switch (Syntax)
        {
            case SetFieldSyntax.Load:
                sb.Append("load:");
                AppendHex(sb, Value);
                sb.Append("->");
                Destination.Format(sb);
                break;
            case SetFieldSyntax.SetField:
                sb.Append("set_field:");
                if (ValueText is not null)
                    sb.Append(ValueText);
                else
                {
                    AppendHex(sb, Value);
                    if (Mask != Destination.ValueMask)
                        AppendHex(sb.Append('/'), Mask);
                }
                sb.Append("->");
                Destination.Format(sb);
                break;
            default:
                sb.Append(Keyword).Append(':');
                if (ValueText is not null)
                    sb.Append(ValueText);
                else
                    sb.Append(Value.ToString(CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>
    /// <c>set_field:VALUE[/MASK]->FIELD</c> whatever the spelling (OVS 3.1 prints a load of a bit range as
    /// the masked write of the whole field: <c>load:0x1->NXM_NX_REG0[16]</c> is <c>set_field:0x10000/0x10000->reg0</c>).
    /// The mod_vlan_* forms and the writes of the VLAN views (vlan_vid, vlan_pcp, OXM_OF_VLAN_*) print as loaded.
    /// </summary>
    public override void FormatOvs(StringBuilder sb)
    {
        var field = Destination.Field;
        if ((field.Id == FieldId.VlanTci && Syntax == SetFieldSyntax.Mod) || VlanFieldViews.IsView(Destination))
        {
            Format(sb, null);
            return;
        }
        UInt128 value = Value << Destination.Start, mask = Mask << Destination.Start;
        sb.Append("set_field:").Append(FieldSyntax.FormatMaskedValue(field, value, mask, null)).Append("->").Append(OvsFieldNames.MfName(field, Destination.Name));
    }

    /// <summary>OVS's form for loaded values: <c>0</c>, else <c>0x</c> and lowercase hex.</summary>
    internal static void AppendHex(StringBuilder sb, UInt128 v)
    {
        if (v == UInt128.Zero)
            sb.Append('0');
        else
            sb.Append("0x").Append(v.ToString("x", CultureInfo.InvariantCulture));
    }
}
