namespace Datapath.Conntrack;

/// <summary>
/// The arguments of one ct() action as the datapath executes it (ovs-actions(7) "The ct action"):
/// <c>ct(commit, force, zone=Z, exec(set_field:M/MM->ct_mark, set_field:L/LM->ct_label), nat(...))</c>.
/// </summary>
public struct CtCommand
{
    /// <summary>ct_zone: which connection table (0..65535; Antrea uses 65520).</summary>
    public ushort Zone;
    /// <summary>Store a new connection; without it a first packet is +new and nothing is kept.</summary>
    public bool Commit;
    /// <summary>With <see cref="Commit"/>: a packet in the reply direction of an existing connection
    /// ends it and commits a new one in the packet's direction.</summary>
    public bool Force;
    /// <summary>exec(set_field:Mark/MarkMask->ct_mark); applies only with <see cref="Commit"/>.</summary>
    public uint Mark, MarkMask;
    /// <summary>exec(set_field:Label/LabelMask->ct_label); applies only with <see cref="Commit"/>.</summary>
    public UInt128 Label, LabelMask;
    /// <summary>nat(...), or null for no NAT.</summary>
    public NatSpec? Nat;

    public CtCommand(ushort zone, bool commit = false)
    {
        Zone = zone;
        Commit = commit;
    }
}
