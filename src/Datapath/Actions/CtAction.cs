using System.Text;
using Datapath.Classifier;
using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>ct(commit,force,table=N,zone=N|zone=FIELD[range],nat(...),exec(...))</c> (ovs-actions(7) "The ct action").
/// With a table the packet is sent through conntrack and resumes at that table with ct_state,
/// ct_zone, ct_mark, ct_label and ct_nw_*/ct_tp_* filled in (a recirculation); the rest of the
/// action list is not run. Without a table conntrack runs (commit, nat) and the list continues
/// with the packet untracked.
/// </summary>
public sealed class CtAction : FlowAction
{
    public CtAction() : base(ActionKind.Ct) { }

    public bool Commit { get; init; }
    public bool Force { get; init; }
    /// <summary>The table to resume at; null: no recirculation.</summary>
    public byte? Table { get; init; }
    public ushort Zone { get; init; }
    /// <summary>When set, the zone is read from this field at run time.</summary>
    public FieldRef? ZoneSource { get; init; }
    public NatSpec? Nat { get; init; }
    /// <summary>load/set_field/move actions on ct_mark and ct_label, applied when committing.</summary>
    public IReadOnlyList<FlowAction> Exec { get => ExecItems; init => ExecItems = [.. value]; }

    /// <summary><see cref="Exec"/> as an array, so the translator walks it without an enumerator.</summary>
    internal FlowAction[] ExecItems { get; private init; } = [];

    /// <summary>The zone for this packet.</summary>
    public ushort ZoneFor(in FlowKey key) => ZoneSource is { } src ? (ushort)src.Read(in key) : Zone;

    public override void Format(StringBuilder sb, IPortMap? ports) => Format(sb, ports, ovs: false);

    /// <summary>The exec actions as OVS 3.1 prints them (<c>set_field:0x20->ct_mark</c>).</summary>
    public override void FormatOvs(StringBuilder sb) => Format(sb, null, ovs: true);

    private void Format(StringBuilder sb, IPortMap? ports, bool ovs)
    {
        sb.Append("ct(");
        int start = sb.Length;
        void Sep()
        {
            if (sb.Length > start)
                sb.Append(',');
        }
        if (Commit)
        {
            Sep();
            sb.Append("commit");
        }
        if (Force)
        {
            Sep();
            sb.Append("force");
        }
        if (Table is { } t)
        {
            Sep();
            TableNameMap.Append(sb.Append("table="), t, ports?.TableNames);
        }
        if (ZoneSource is { } zs)
        {
            Sep();
            sb.Append("zone=");
            zs.Format(sb);
        }
        else if (Zone != 0)
        {
            Sep();
            sb.Append("zone=").Append(Zone);
        }
        if (Nat is { } nat)
        {
            Sep();
            sb.Append(nat.ToString());
        }
        if (Exec.Count > 0)
        {
            Sep();
            sb.Append("exec(");
            for (int i = 0; i < Exec.Count; i++)
            {
                if (i > 0)
                    sb.Append(',');
                if (ovs)
                    Exec[i].FormatOvs(sb);
                else
                    Exec[i].Format(sb, ports);
            }
            sb.Append(')');
        }
        sb.Append(')');
    }
}
