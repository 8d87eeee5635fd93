using Datapath.Conntrack;

namespace Datapath.Engine;

/// <summary>The datapath actions the translator emits (OVS's ODP actions, minus what we fold into key snapshots).</summary>
internal enum DpKind : byte
{
    /// <summary>Send a copy to a port (GENEVE-encapsulated for the tunnel port).</summary>
    Output,
    /// <summary>ct(zone, commit, nat, mark, label), then recirc(table) when <see cref="DpAction.Recirc"/>.</summary>
    Ct,
    PushVlan,
    PopVlan,
    /// <summary>Userspace/controller action: counted as a punt.</summary>
    Punt,
    /// <summary>meter(id): the packet passes the bridge's meter <see cref="DpAction.Port"/> or is dropped there (the rest does not run).</summary>
    Meter,
    /// <summary>push_mpls: a label stack entry (<see cref="DpAction.Port"/>, as on the wire) after the L2 headers, dl_type <see cref="DpAction.EtherType"/>.</summary>
    PushMpls,
    /// <summary>pop_mpls: the top label stack entry removed, dl_type <see cref="DpAction.EtherType"/>.</summary>
    PopMpls,
}

/// <summary>
/// One datapath action. <see cref="Snapshot"/> indexes the key snapshot the frame must reflect
/// before the action runs: the executor writes the difference (PacketEditor.ApplyKey, or for a cached
/// pass the header fields its Cache.SnapshotStep names), which is OVS's set(eth(...)),set(ipv4(...))
/// actions in one step.
/// </summary>
internal struct DpAction
{
    public DpKind Kind;
    public int Snapshot;
    /// <summary>The output port; for <see cref="DpKind.Meter"/>, the meter id; for <see cref="DpKind.PushMpls"/>, the entry pushed.</summary>
    public uint Port;
    public CtCommand Ct;
    public bool Recirc;
    public byte RecircTable;
    /// <summary>The recirc_id the packet resumes with (the frozen state of table and registers: RecirculationIds).</summary>
    public uint RecircId;
    public ushort EtherType;
    /// <summary>For <see cref="DpKind.Output"/>: send only the first this many bytes (output(port=,max_len=)); 0: the whole frame.</summary>
    public uint MaxLength;
    /// <summary>
    /// For <see cref="DpKind.PushVlan"/>: the flow held two tags, OVS's most, so the inner one leaves the frame before the
    /// push (what OVS's commit_vlan_action does: pop both, push the outer one back, push the new one).
    /// </summary>
    public bool EvictInnerVlan;
    /// <summary>
    /// For <see cref="DpKind.Ct"/> with <see cref="Recirc"/>: a ct(table=N) inside clone(...). Conntrack runs on a copy of
    /// the packet, which resumes at the table after the packet's pass; the packet itself goes on untouched.
    /// </summary>
    public bool Fork;
}
