namespace Datapath.Engine.Actions;

/// <summary>The OpenFlow actions this engine runs (ovs-actions(7) names).</summary>
public enum ActionKind
{
    /// <summary>load, set_field, mod_dl_src/dst, mod_nw_src/dst, mod_nw_tos, mod_tp_src/dst, mod_vlan_vid/pcp.</summary>
    SetField,
    Move,
    Output,
    /// <summary>resubmit(port,table) and goto_table.</summary>
    Resubmit,
    Ct,
    CtClear,
    Conjunction,
    Group,
    DecTtl,
    Drop,
    PushVlan,
    PopVlan,
    Note,
    Controller,
    /// <summary>learn(...): adds or refreshes a flow built from the packet.</summary>
    Learn,
    /// <summary>fin_timeout(...): shortens the rule's timeouts on a TCP FIN or RST.</summary>
    FinTimeout,
    /// <summary>meter:N: the packet passes the meter's bands or is dropped.</summary>
    Meter,
    /// <summary>write_actions(...): the actions join the action set (<see cref="NestedActions"/>).</summary>
    WriteActions,
    /// <summary>clear_actions: the action set is emptied.</summary>
    ClearActions,
    /// <summary>clone(...): the actions run on a copy of the packet (<see cref="NestedActions"/>).</summary>
    Clone,
    /// <summary>exit: no further action runs, at any resubmit level, nor the action set (OVS 3.1's behaviour).</summary>
    Exit,
    /// <summary>push:FIELD[range]: the bits go on the pass's stack (<see cref="StackAction"/>).</summary>
    Push,
    /// <summary>pop:FIELD[range]: the stack's top goes into the bits (<see cref="StackAction"/>).</summary>
    Pop,
    /// <summary>
    /// set_queue:N and pop_queue: the packet's QoS queue on its output port (OVS's skb_priority). This datapath's
    /// ports have no queues, so they change no frame and no verdict: accepted and printed, as OVS prints them.
    /// </summary>
    Queue,
    /// <summary>sample(...): IPFIX sampling; no collector here, so no frame or verdict changes (<see cref="SampleAction"/>).</summary>
    Sample,
    /// <summary>enqueue:PORT:QUEUE: output to PORT, queues not emulated (<see cref="EnqueueAction"/>).</summary>
    Enqueue,
    /// <summary>bundle(...) and bundle_load(...): a member chosen by hash or liveness (<see cref="BundleAction"/>).</summary>
    Bundle,
    /// <summary>multipath(...): a link number chosen by hash into a field (<see cref="MultipathAction"/>).</summary>
    Multipath,
    /// <summary>push_mpls:ETHERTYPE (<see cref="MplsAction"/>).</summary>
    PushMpls,
    /// <summary>pop_mpls:ETHERTYPE (<see cref="MplsAction"/>).</summary>
    PopMpls,
    /// <summary>set_mpls_label, set_mpls_tc, set_mpls_ttl: the top label stack entry of an MPLS packet (<see cref="MplsAction"/>).</summary>
    SetMpls,
    /// <summary>dec_mpls_ttl (<see cref="MplsAction"/>).</summary>
    DecMplsTtl,
}
