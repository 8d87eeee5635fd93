using System.Text;
using Datapath.Classifier;
using Datapath.Conntrack;
using Datapath.Engine.Actions;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine;

// Translator
// ==========
//
// What?
// -----
// The slow path (OVS's ofproto-dpif-xlate): walks the bridge's tables from a start table for one
// FlowKey, runs each matching rule's actions on a working copy of the key, and emits datapath
// actions (outputs, ct + recirculation, VLAN push/pop, punts) and, when the context asks for them
// (XlateContext.TrackConsulted), the bits of the key that were consulted and the rules and
// buckets it went through, so the flow cache (Cache/FlowCache.cs) can key the result on
// (recirc_id, masked key) and replay it.  A write consults what it writes (as OVS's xlate
// un-wildcards set_field destinations), so a cached key change is right for every packet of the
// megaflow.  Without the cache (--no-cache) each lookup is the classifier's cheapest variant.
//
// Design
// ------
// One pass ends at the end of table 0's action list, at an error, or at ct(table=N), which ends
// the translation (the rest of the action list is not run: DESIGN.md's rule; OVS forks instead,
// which gives the same result for every Antrea flow) and asks the executor to run conntrack and
// translate again from table N with ct_* filled in; the packet resumes with the recirc_id of the
// frozen state (table, metadata, registers: Cache/RecirculationIds.cs).  Field changes are not emitted one by one:
// each datapath action carries the index of a key snapshot, and the executor writes the
// difference to the frame with PacketEditor.ApplyKey (incremental checksums).
//
// Invariants
// ----------
//  - Depth counts only resubmits to the same or an earlier table; it never exceeds MaxDepth and
//    the resubmit total never exceeds MaxResubmits: a loop is a counted drop, not a hang.
//  - resubmit(port) changes in_port for its lookup only: the rule found runs with the packet's
//    own in_port, as OVS's xlate_table_action restores it right after the lookup.
//  - Group buckets and clone(...) run on a copy of the key (OVS clones them); a clone also works on a
//    copy of the action set, kept above the packet's in XlateContext.ActionSet and dropped after it.
//  - A ct(table=N) inside clone(...) does not end the pass: it forks (DpAction.Fork), as OVS's
//    compose_recirculate_and_fork does; conntrack runs on a copy that resumes after the packet's pass.
//  - push/pop share one stack per pass (XlateContext.Stack); a clone pushes onto a copy above it.
//  - The action set (write_actions appends, clear_actions empties) runs once, at the end of the
//    pass's pipeline (RunActionSet, OVS's ofpacts_execute_action_set order), not after exit or a
//    failure. A ct(table=N) freezes the stack and the action set with the recirc_id (as OVS's
//    frozen_state does) and the pass it resumes starts with them: the set then runs at its end.
//  - learn adds or refreshes its flow at once (Bridge.Learn, at the packet's time) and lists it in
//    XlateContext.Learns, which the flow cache keeps with the megaflow and runs again on each hit; its
//    sources are consulted (OVS's learn_mask). meter:N is a datapath action (DpKind.Meter): the
//    bridge's meter runs when the actions execute, so a cached pass meters every packet too.
//
// Thread-safety
// -------------
// Any number of threads, each with its own XlateContext. Rule stats and MAC learning are the
// only shared writes (Interlocked / ConcurrentDictionary).
//
// Cost (where a frame's time goes: bench/results/pipeline.md)
// ----
// One classifier lookup per table visited (most of the time), one Interlocked stats update per
// rule hit, one 336-byte key snapshot per datapath action emitted after a key change; field writes
// are compiled at flow load (KeyBits: one masked store); no allocation unless tracing.
internal sealed partial class Translator
{
    private readonly Node _node;
    private readonly Bridge _bridge;
    /// <summary>The bridge's per-table classifiers (fixed for the bridge's life), so a lookup skips the table-set's range check.</summary>
    private readonly FlowClassifier[] _classifiers;

    public Translator(Node node)
    {
        _node = node;
        _bridge = node.Bridge;
        _classifiers = new FlowClassifier[FlowTableSet.TableCount];
        for (int t = 0; t < _classifiers.Length; t++)
            _classifiers[t] = _bridge.Tables[(byte)t];
    }

    /// <summary>Translates one pass starting at <paramref name="table"/>.</summary>
    public void Translate(XlateContext ctx, byte table)
    {
        ctx.ResetPass();
        if (ctx.Key.RecircId != 0 && ctx.RecircIds is { } ids && ids.TryThaw(ctx.Key.RecircId, out var stack, out var actionSet))
        {
            // After ct(table=N): the stack and the action set the recirculation froze, as OVS's xlate_actions thaws them.
            foreach (UInt128 v in stack)
                ctx.Push(v);
            foreach (var a in actionSet)
                ctx.AddToActionSet(a);
        }
        LookupAndRun(ctx, table);
        RunActionSet(ctx);
    }

    // lookupInPort, from resubmit(port,...): the in_port of the lookup only; the rule's actions run
    // with the packet's own in_port (OVS's xlate_table_action restores it right after the lookup).
    // from: when tracing, the resubmit that led here (the lookup is its child in ofproto/trace's tree).
    private void LookupAndRun(XlateContext ctx, byte table, uint? lookupInPort = null, TraceAction? from = null)
    {
        ctx.TableId = table;
        uint inPort = ctx.Key.InPort;
        if (lookupInPort is { } p)
            ctx.Key.InPort = p;
        // The cheapest classifier variant unless a caller asked for the consulted bits.
        var rule = ctx.TrackConsulted
            ? _bridge.Tables.Lookup(table, in ctx.Key, ref ctx.Consulted)
            : (table < _classifiers.Length ? _classifiers[table] : _bridge.Tables[table]).Lookup(in ctx.Key);
        ctx.Key.InPort = inPort;
        if (rule is null)
        {
            ctx.RecordDrop(DropReason.NoMatch);
            if (ctx.Trace is { } t)
            {
                var miss = new TraceStep(ctx.NodeName, TraceKind.OpenFlow, ctx.Depth) { Table = table, Summary = "no match: drop" };
                t.Steps.Add(miss);
                from?.Children.Add(miss);
            }
            return;
        }
        rule.AddStats(ctx.PacketBytes, ctx.NowMs);
        if (ctx.TrackConsulted)
            ctx.RuleCredits.Add(rule);
        TraceStep? step = null;
        if (ctx.Trace is { } trace)
        {
            step = new TraceStep(ctx.NodeName, TraceKind.OpenFlow, ctx.Depth)
            {
                Table = table,
                Rule = rule,
                RuleText = rule.Format(NameView.For(_bridge, _bridge.TableNames, trace.Names), withStats: false),
                RuleSummary = Summarize(rule, NameView.For(_bridge, _bridge.TableNames, trace.Names)),
            };
            trace.Steps.Add(step);
            from?.Children.Add(step);
        }
        var actions = rule.Actions as ActionList ?? ActionList.Empty;
        if (actions.Count == 0)
        {
            ctx.RecordDrop(DropReason.ExplicitDrop);
            step?.Actions.Add(new TraceAction("drop"));
            return;
        }
        var running = ctx.RunningRule;
        ctx.RunningRule = rule;
        DoActions(ctx, actions, step);
        ctx.RunningRule = running;
    }

    private static string Summarize(FlowRule rule, IPortMap? names)
    {
        string m = rule.Match.Format(names);
        var sb = new StringBuilder();
        if (m.Length > 0)
            sb.Append(m).Append(", ");
        sb.Append("priority ").Append(rule.Priority).Append(", cookie 0x").Append(rule.Cookie.ToString("x"));
        return sb.ToString();
    }

    private void DoActions(XlateContext ctx, ActionList list, TraceStep? step)
    {
        var items = list.Items;
        for (int i = 0; i < items.Length; i++)
        {
            if (ctx.Exit || !RunAction(ctx, items[i], step))
                return;
        }
    }

    /// <summary>Runs one action; false when the rest of its list is skipped (dec_ttl at TTL 1, a failed push_vlan).</summary>
    private bool RunAction(XlateContext ctx, FlowAction action, TraceStep? step)
    {
        TraceAction? ta = null;
        if (step is not null)
        {
            var sb = new StringBuilder();
            action.Format(sb, NameView.For(_bridge, _bridge.TableNames, ctx.Trace?.Names ?? NamesShown.Ports));
            string text = sb.ToString();
            sb.Clear();
            action.FormatOvs(sb);
            ta = new TraceAction(text) { OvsText = sb.ToString() };
            step.Actions.Add(ta);
        }
        switch (action.Kind)
        {
            case ActionKind.SetField:
                {
                    var sf = (SetFieldAction)action;
                    if (sf.Destination.Field.Id == FieldId.VlanTci)
                    {
                        WriteVlanTci(ctx, sf, ta);
                        break;
                    }
                    UInt128 old = ta is null ? default : FieldRegistry.Read(in ctx.Key, sf.Destination.Field);
                    if (ctx.TrackConsulted)
                        ConsultWrite(ctx, sf.Destination);
                    sf.Execute(ref ctx.Key);
                    ctx.Dirty = true;
                    if (ta is not null)
                        ta.Effects.Add(Change(ctx, sf.Destination.Field, old, in ctx.Key));
                    break;
                }
            case ActionKind.Move:
                {
                    var mv = (MoveAction)action;
                    if (ctx.TrackConsulted)
                    {
                        mv.Source.Consult(ref ctx.Consulted);
                        ConsultWrite(ctx, mv.Destination);
                    }
                    UInt128 old = ta is null ? default : FieldRegistry.Read(in ctx.Key, mv.Destination.Field);
                    ushort vlanBefore = ctx.Key.VlanTci;
                    mv.Execute(ref ctx.Key);
                    ctx.Dirty = true;
                    if (mv.Destination.Field.Id == FieldId.VlanTci)
                        CommitVlanPresence(ctx, vlanBefore);
                    if (ta is not null)
                    {
                        ta.Effects.Add(Change(ctx, mv.Destination.Field, old, in ctx.Key));
                        ta.OvsLines.Add("-> " + OvsTraceNotes.SubfieldIsNow(mv.Destination, in ctx.Key));
                    }
                    break;
                }
            case ActionKind.Output:
                Output(ctx, (OutputAction)action, ta);
                break;
            case ActionKind.Resubmit:
                Resubmit(ctx, (ResubmitAction)action, ta);
                break;
            case ActionKind.Ct:
                Ct(ctx, (CtAction)action, ta);
                break;
            case ActionKind.CtClear:
                ClearConntrack(ctx);
                ctx.Dirty = true;
                break;
            case ActionKind.Conjunction:
            case ActionKind.Note:
            case ActionKind.Queue:
                break;
            case ActionKind.Group:
                Group(ctx, (GroupAction)action, ta);
                break;
            case ActionKind.DecTtl:
                if (!DecTtl(ctx, (action as DecTtlAction)?.PacketIns ?? 1, ta))
                    return false;
                break;
            case ActionKind.Drop:
                ctx.RecordDrop(DropReason.ExplicitDrop);
                break;
            case ActionKind.PushVlan:
                PushVlan(ctx, ((PushVlanAction)action).EtherType, ta);
                break;
            case ActionKind.PopVlan:
                PopVlan(ctx);
                break;
            case ActionKind.Controller:
                ctx.Emit(DpKind.Punt);
                ctx.RecordDrop(DropReason.ControllerPunt);
                ta?.Effects.Add("punted to the controller (none attached)");
                break;
            case ActionKind.Learn:
                Learn(ctx, (LearnAction)action, ta);
                break;
            case ActionKind.FinTimeout:
                FinTimeout(ctx, (FinTimeoutAction)action, ta);
                break;
            case ActionKind.Meter:
                {
                    uint id = ((MeterAction)action).MeterId;
                    ctx.Emit(DpKind.Meter).Port = id;
                    ta?.Effects.Add(_bridge.TryGetMeter(id, out _) ? $"meter {id}: the packet goes on if its bands let it" : $"meter {id} does not exist: no metering");
                    break;
                }
            case ActionKind.WriteActions:
                {
                    var items = ((NestedActions)action).Actions.Items;
                    for (int i = 0; i < items.Length; i++)
                        ctx.AddToActionSet(items[i]);
                    ta?.Effects.Add($"action set: {ctx.ActionSetCount - ctx.ActionSetStart} action(s)");
                    break;
                }
            case ActionKind.ClearActions:
                ctx.ActionSetCount = ctx.ActionSetStart;
                ta?.Effects.Add("action set cleared");
                break;
            case ActionKind.Exit:
                ctx.Exit = true;
                ta?.Effects.Add("exit: no further actions, at any level; the action set does not run (as in OVS 3.1)");
                break;
            case ActionKind.Clone:
                Clone(ctx, (NestedActions)action, step);
                break;
            case ActionKind.Push:
                {
                    var f = ((StackAction)action).Field;
                    if (ctx.TrackConsulted)
                        f.Consult(ref ctx.Consulted);
                    ctx.Push(f.Read(in ctx.Key));
                    ta?.Effects.Add($"pushed {FieldSyntax.CHex(ctx.Stack[ctx.StackCount - 1])} ({ctx.StackCount - ctx.StackBase} on the stack)");
                    break;
                }
            case ActionKind.Sample:
                ta?.Effects.Add("sample: no IPFIX collector here (OVS samples nothing either without IPFIX): no change");
                break;
            case ActionKind.Enqueue:
                Output(ctx, ((EnqueueAction)action).Output, ta);
                break;
            case ActionKind.Bundle:
                Bundle(ctx, (BundleAction)action, ta);
                break;
            case ActionKind.Multipath:
                Multipath(ctx, (MultipathAction)action, ta);
                break;
            case ActionKind.PushMpls:
                PushMpls(ctx, (MplsAction)action, ta);
                break;
            case ActionKind.PopMpls:
                PopMpls(ctx, (MplsAction)action, ta);
                break;
            case ActionKind.SetMpls:
                SetMpls(ctx, (MplsAction)action, ta);
                break;
            case ActionKind.DecMplsTtl:
                if (!DecMplsTtl(ctx, ta))
                    return false;
                break;
            case ActionKind.Pop:
                {
                    var f = ((StackAction)action).Field;
                    if (ctx.StackCount == ctx.StackBase)
                    {
                        ta?.Effects.Add("stack underflow: nothing popped");
                        break;
                    }
                    if (ctx.TrackConsulted)
                        ConsultWrite(ctx, f);
                    ushort vlanBefore = ctx.Key.VlanTci;
                    f.Write(ref ctx.Key, ctx.Stack[--ctx.StackCount] & f.ValueMask);
                    ctx.Dirty = true;
                    if (f.Field.Id == FieldId.VlanTci)
                        CommitVlanPresence(ctx, vlanBefore);
                    ta?.Effects.Add($"popped {FieldSyntax.CHex(f.Read(in ctx.Key))} into {f}");
                    break;
                }
        }
        return true;
    }

    // ---- the action set, clone

    /// <summary>
    /// The end of the pipeline: the action set runs as OVS's ofpacts_execute_action_set orders it, and only when it
    /// holds a final action (ct, ct_clear, resubmit, output, group: the one of the highest of those classes, the last
    /// written among equals): the last strip_vlan, push_vlan and dec_ttl, then every set_field/load/move in the order
    /// written, then the final action. Not after exit (as OVS 3.1) or a failed pass; a pass that recirculates froze its set
    /// with the recirc_id, and the set runs at the end of the pass that resumes (see docs/classifier.md).
    /// </summary>
    private void RunActionSet(XlateContext ctx)
    {
        int start = ctx.ActionSetStart, end = ctx.ActionSetCount;
        // After exit nothing of it runs: OVS 3.1's xlate_action_set runs the set through do_xlate_actions with
        // ctx->exit still set, which stops before the first action (ovs-actions(7) says the set runs).
        if (end == start || ctx.Error is not null || ctx.Recirculating || ctx.Exit)
            return;
        FlowAction? final = null, pop = null, push = null, decTtl = null;
        int finalClass = -1;
        for (int i = start; i < end; i++)
        {
            var a = ctx.ActionSet[i];
            int cls = a.Kind switch
            {
                ActionKind.Ct => 0,
                ActionKind.CtClear => 1,
                ActionKind.Resubmit => 2,
                ActionKind.Output => 3,
                ActionKind.Group => 4,
                _ => -1,
            };
            if (cls >= 0 && cls >= finalClass)
            {
                final = a;
                finalClass = cls;
            }
            else if (a.Kind == ActionKind.PopVlan)
                pop = a;
            else if (a.Kind == ActionKind.PushVlan)
                push = a;
            else if (a.Kind == ActionKind.DecTtl)
                decTtl = a;
        }
        if (final is null)
            return;
        TraceStep? step = null;
        if (ctx.Trace is { } t)
        {
            step = new TraceStep(ctx.NodeName, TraceKind.OpenFlow, ctx.Depth) { Table = ctx.TableId, Summary = "action set" };
            t.Steps.Add(step);
        }
        if ((pop is not null && !RunAction(ctx, pop, step)) || (push is not null && !RunAction(ctx, push, step)) || (decTtl is not null && !RunAction(ctx, decTtl, step)))
            return;
        for (int i = start; i < end; i++)
        {
            var a = ctx.ActionSet[i];
            if (a.Kind is ActionKind.SetField or ActionKind.Move)
                RunAction(ctx, a, step);
        }
        RunAction(ctx, final, step);
    }

    /// <summary>
    /// clone(...): its actions run on the packet as it is, with a copy of the action set, which runs at the clone's end
    /// (OVS's clone_xlate_actions); then the key (packet and metadata), the table and the action set are restored.
    /// An exit inside the clone ends the outer lists too, as in OVS.
    /// </summary>
    private void Clone(XlateContext ctx, NestedActions clone, TraceStep? step)
    {
        FlowKey saved = ctx.Key;
        byte table = ctx.TableId;
        int start = ctx.ActionSetStart, count = ctx.ActionSetCount;
        for (int i = start; i < count; i++)
            ctx.AddToActionSet(ctx.ActionSet[i]);
        ctx.ActionSetStart = count;
        int stackBase = ctx.StackBase, stackCount = ctx.StackCount;
        for (int i = stackBase; i < stackCount; i++)
            ctx.Push(ctx.Stack[i]);
        ctx.StackBase = stackCount;
        ctx.CloneDepth++;
        DoActions(ctx, clone.Actions, step);
        ctx.CloneDepth--;
        bool exit = ctx.Exit;
        RunActionSet(ctx);
        ctx.Exit = exit;
        ctx.ActionSetStart = start;
        ctx.ActionSetCount = count;
        ctx.StackBase = stackBase;
        ctx.StackCount = stackCount;
        ctx.Key = saved;
        ctx.TableId = table;
        ctx.Dirty = true;
    }

    /// <summary>
    /// A write is matched, as OVS's xlate un-wildcards set_field destinations, except for the tunnel
    /// fields: those build the outgoing header whatever the packet carried, so they are recorded as
    /// written (the cache sets them) instead.
    /// </summary>
    private static void ConsultWrite(XlateContext ctx, FieldRef destination)
    {
        if (destination.Field.Id is >= FieldId.TunId and <= FieldId.TunMetadata7)
            destination.Consult(ref ctx.TunnelWritten);
        else
            destination.Consult(ref ctx.Consulted);
    }

    private string Change(XlateContext ctx, FieldInfo field, UInt128 old, in FlowKey key)
    {
        IPortMap? names = NameView.For(_bridge, _bridge.TableNames, ctx.Trace?.Names ?? NamesShown.Ports);
        return $"{field.Name}: {FieldSyntax.FormatValue(field, old, names)} -> {FieldSyntax.FormatValue(field, FieldRegistry.Read(in key, field), names)}";
    }

    // ---- output, NORMAL, flood

    private void Output(XlateContext ctx, OutputAction oa, TraceAction? ta)
    {
        uint port;
        if (oa.SourceBits.IsSet)
        {
            if (ctx.TrackConsulted)
                oa.Source!.Value.Consult(ref ctx.Consulted);
            ulong v = oa.SourceBits.Read(in ctx.Key);
            port = v > uint.MaxValue ? OpenFlowPorts.None : (uint)v;
        }
        else if (oa.Source is { } src)
        {
            if (ctx.TrackConsulted)
                src.Consult(ref ctx.Consulted);
            UInt128 v = src.Read(in ctx.Key);
            port = v > uint.MaxValue ? OpenFlowPorts.None : (uint)v;
        }
        else
            port = oa.Port;
        if (oa.MaxLength != 0)
        {
            // output(port=,max_len=): LOCAL, IN_PORT or a port number (the parser refuses the other reserved ports).
            EmitOutput(ctx, port == OpenFlowPorts.InPort ? ctx.Key.InPort : port, ta, allowInPort: port == OpenFlowPorts.InPort, oa.MaxLength);
            return;
        }
        if (ta is not null && oa.Source is not null)
            ta.OvsLines.Add($"-> output port is {port}"); // xlate_output_reg_action's report

        switch (port)
        {
            case OpenFlowPorts.InPort:
                EmitOutput(ctx, ctx.Key.InPort, ta, allowInPort: true);
                return;
            case OpenFlowPorts.Normal:
                Normal(ctx, ta);
                return;
            case OpenFlowPorts.Flood:
            case OpenFlowPorts.All:
                foreach (var p in _bridge.Ports)
                {
                    if (p.OfPort != ctx.Key.InPort)
                        EmitOutput(ctx, p.OfPort, ta, allowInPort: false);
                }
                return;
            case OpenFlowPorts.Controller:
                ctx.Emit(DpKind.Punt);
                ctx.RecordDrop(DropReason.ControllerPunt);
                ta?.Effects.Add("punted to the controller (none attached)");
                return;
            case OpenFlowPorts.None:
            case OpenFlowPorts.Table:
                ta?.Effects.Add("output to NONE/TABLE: nothing sent");
                return;
            default:
                EmitOutput(ctx, port, ta, allowInPort: false);
                return;
        }
    }

    private void EmitOutput(XlateContext ctx, uint port, TraceAction? ta, bool allowInPort, uint maxLength = 0)
    {
        if (!allowInPort && port == ctx.Key.InPort)
        {
            ctx.RecordDrop(DropReason.OutputToInPort);
            ta?.Effects.Add($"skipping output to input port {port}");
            return;
        }
        if (!_bridge.TryGetPort(port, out var p))
        {
            ctx.RecordDrop(DropReason.OutputPortMissing);
            ta?.Effects.Add($"output port {port} does not exist: drop");
            return;
        }
        if (ctx.TrackConsulted && p.Kind == PortKind.Tunnel && ctx.Key.IsIp)
            ctx.Consulted.NwEcn = 0xff; // the outer header inherits the inner ECN (OVS's tnl_push un-wildcards it too)
        ref var a = ref ctx.Emit(DpKind.Output);
        a.Port = port;
        a.MaxLength = maxLength;
        if (ta is not null && p.Kind == PortKind.Tunnel)
            OvsTraceNotes.TunnelOutput(_node, in ctx.Key, ta.OvsLines);
        if (ta is not null)
            ta.Effects.Add(p.Kind == PortKind.Tunnel
                ? $"output to {p.OfPort}({p.Name}), tunnel to {(Geneve.GeneveEncapsulator.UsesIpv6Outer(in ctx.Key) ? $"tun_ipv6_dst={ctx.Key.TunIpv6Dst}" : $"tun_dst={new Ipv4Address(ctx.Key.TunDst)}")} tun_id=0x{ctx.Key.TunId:x}"
                : $"output to {p.OfPort}({p.Name})");
    }

    private void Normal(XlateContext ctx, TraceAction? ta)
    {
        if (ctx.TrackConsulted)
        {
            var eth = FieldRegistry.Get(FieldId.EthSrc);
            FieldRegistry.Write(ref ctx.Consulted, eth, eth.FullMask);
            var ethDst = FieldRegistry.Get(FieldId.EthDst);
            FieldRegistry.Write(ref ctx.Consulted, ethDst, ethDst.FullMask);
            ctx.Consulted.VlanTci |= 0x1fff;
            ctx.Consulted.InPort = uint.MaxValue;
        }

        ushort vid = (ushort)(ctx.Key.VlanTci & 0xfff);
        uint inPort = ctx.Key.InPort;
        var src = new MacAddress(ctx.Key.EthSrc);
        var dst = new MacAddress(ctx.Key.EthDst);
        if (_bridge.TryGetPort(inPort, out _) && _bridge.MacTable.Learn(src, vid, inPort))
            ta?.Effects.Add($"learned {src} on port {inPort} in VLAN {vid}");
        if (!dst.IsMulticast && _bridge.MacTable.TryLookup(dst, vid, out uint known))
        {
            if (known == inPort)
            {
                ctx.RecordDrop(DropReason.OutputToInPort);
                ta?.Effects.Add($"{dst} is on the input port {inPort}: not forwarded");
                ta?.OvsLines.Add("-> learned port is input port, dropping");
                return;
            }
            ta?.Effects.Add($"forwarding to learned port {known}");
            ta?.OvsLines.Add("-> forwarding to learned port");
            EmitOutput(ctx, known, ta, allowInPort: false);
            return;
        }
        ta?.Effects.Add(dst.IsMulticast ? "broadcast/multicast: flooding" : $"no learned port for {dst}: flooding");
        ta?.OvsLines.Add("-> no learned MAC for destination, flooding"); // xlate_normal without multicast snooping
        int before = ctx.ActionCount;
        foreach (var p in _bridge.Ports)
        {
            // OVS's NORMAL here floods to every port but the ingress and the tunnel (scenario README).
            if (p.OfPort != inPort && p.Kind != PortKind.Tunnel)
                EmitOutput(ctx, p.OfPort, ta, allowInPort: false);
        }
        if (ctx.ActionCount == before)
            ctx.RecordDrop(DropReason.NoOutput);
    }

    // ---- resubmit

    private void Resubmit(XlateContext ctx, ResubmitAction r, TraceAction? ta)
    {
        byte current = ctx.TableId;
        byte table = r.Table ?? current;
        bool counts = table <= current;
        if (counts && ctx.Depth >= XlateContext.MaxDepth)
        {
            ctx.Fail(DropReason.ResubmitDepth);
            ta?.Effects.Add($"over max translation depth {XlateContext.MaxDepth}: drop");
            return;
        }
        if (++ctx.Resubmits > XlateContext.MaxResubmits)
        {
            ctx.Fail(DropReason.TooManyResubmits);
            ta?.Effects.Add($"over {XlateContext.MaxResubmits} resubmit actions: drop");
            return;
        }
        uint? lookupInPort = r.InPort is { } p && p != OpenFlowPorts.InPort ? p : null;
        if (counts)
            ctx.Depth++;
        LookupAndRun(ctx, table, lookupInPort, ta);
        if (counts)
            ctx.Depth--;
        ctx.TableId = current;
    }

    // ---- ct

    private static void Ct(XlateContext ctx, CtAction ct, TraceAction? ta)
    {
        if (ctx.TrackConsulted && ct.ZoneSource is { } zs)
            zs.Consult(ref ctx.Consulted);
        var cmd = new CtCommand(ct.ZoneFor(in ctx.Key), ct.Commit) { Force = ct.Force, Nat = ct.Nat };
        foreach (var e in ct.ExecItems)
        {
            FieldRef dst;
            UInt128 value, mask;
            if (e is SetFieldAction sf)
            {
                dst = sf.Destination;
                value = sf.Value;
                mask = sf.Mask;
            }
            else
            {
                var mv = (MoveAction)e;
                dst = mv.Destination;
                value = mv.Source.Read(in ctx.Key);
                mask = mv.Destination.ValueMask;
                if (ctx.TrackConsulted)
                    mv.Source.Consult(ref ctx.Consulted);
            }
            value <<= dst.Start;
            mask <<= dst.Start;
            if (dst.Field.Id == FieldId.CtMark)
            {
                cmd.Mark = (cmd.Mark & ~(uint)mask) | (uint)value;
                cmd.MarkMask |= (uint)mask;
            }
            else
            {
                cmd.Label = (cmd.Label & ~mask) | value;
                cmd.LabelMask |= mask;
            }
        }
        ref var a = ref ctx.Emit(DpKind.Ct);
        a.Ct = cmd;
        if (ct.Table is { } table)
        {
            a.Recirc = true;
            a.RecircTable = table;
            a.Fork = ctx.CloneDepth > 0;
            // The stack and the action set are frozen with the recirculation (OVS's finish_freezing__) and come back in
            // the next pass (Translate).
            a.RecircId = ctx.RecircIds!.Get(table, in ctx.Key, ctx.Stack.AsSpan(ctx.StackBase, ctx.StackCount - ctx.StackBase),
                ctx.ActionSet.AsSpan(ctx.ActionSetStart, ctx.ActionSetCount - ctx.ActionSetStart));
            if (a.Fork)
            {
                // OVS's compose_recirculate_and_fork inside a clone: a copy of the packet recirculates, the clone and
                // everything after it go on with the packet untracked.
                ClearConntrack(ctx);
                ta?.Effects.Add($"conntrack in zone {cmd.Zone}{(cmd.Commit ? ", commit" : "")} on a copy of the packet, which resumes at table {table} (recirculation); the packet continues untracked");
            }
            else
            {
                ctx.Exit = true;
                ctx.Recirculating = true;
                ta?.Effects.Add($"conntrack in zone {cmd.Zone}{(cmd.Commit ? ", commit" : "")}; the pipeline resumes at table {table} (recirculation)");
            }
        }
        else
        {
            ClearConntrack(ctx);
            ta?.Effects.Add($"conntrack in zone {cmd.Zone}{(cmd.Commit ? ", commit" : "")}; the packet continues untracked");
        }
        if (ta is not null)
            OvsTraceNotes.Conntrack(ct, ta.OvsLines);
    }

    /// <summary>Clears the ct_* fields (ct_clear, or ct() without table=): a write, so they are consulted.</summary>
    private static void ClearConntrack(XlateContext ctx)
    {
        ref FlowKey key = ref ctx.Key;
        if (ctx.TrackConsulted)
        {
            ref FlowKey m = ref ctx.Consulted;
            m.CtState = uint.MaxValue;
            m.CtZone = ushort.MaxValue;
            m.CtMark = uint.MaxValue;
            m.CtLabelLo = m.CtLabelHi = ulong.MaxValue;
            m.CtNwSrc = m.CtNwDst = uint.MaxValue;
            m.CtTpSrc = m.CtTpDst = ushort.MaxValue;
            m.CtNwProto = byte.MaxValue;
        }
        ctx.Dirty = true;
        ClearConntrackFields(ref key);
    }

    /// <summary>OVS's flow_clear_conntrack: every ct_* field of the key zero.</summary>
    internal static void ClearConntrackFields(ref FlowKey key)
    {
        key.CtState = 0;
        key.CtZone = 0;
        key.CtMark = 0;
        key.CtLabelLo = key.CtLabelHi = 0;
        key.CtNwSrc = key.CtNwDst = 0;
        key.CtTpSrc = key.CtTpDst = 0;
        key.CtNwProto = 0;
    }

    // ---- learn, fin_timeout

    /// <summary>
    /// Runs a learn as OVS's xlate_learn_action: its sources are un-wildcarded (learn_mask: every packet of the
    /// megaflow learns the same flow), the flow is added or refreshed at once (ofproto_flow_mod_learn) and
    /// remembered for the pass, so the flow cache runs it again on each hit (OVS's XC_LEARN); result_dst gets 1,
    /// or 0 when the limit stopped it. A learn with a limit makes its pass uncacheable: its result depends on the
    /// table's state, not the key (OVS avoids caching it too when it cannot learn).
    /// </summary>
    private void Learn(XlateContext ctx, LearnAction learn, TraceAction? ta)
    {
        if (ctx.TrackConsulted)
            learn.Consult(ref ctx.Consulted);
        var flow = learn.Execute(in ctx.Key);
        var outcome = _bridge.Learn(flow, ctx.NowMs);
        if (outcome == LearnOutcome.Added)
            ctx.LearnedChanges = true;
        ctx.Learns.Add(flow);
        if (learn.Limit != 0)
            ctx.Uncacheable = true;
        if (learn.ResultDestination is { } r)
        {
            if (ctx.TrackConsulted)
                ConsultWrite(ctx, r);
            r.Write(ref ctx.Key, outcome == LearnOutcome.LimitReached ? UInt128.Zero : UInt128.One);
            ctx.Dirty = true;
        }
        if (ta is not null)
        {
            ta.Effects.Add(outcome switch
            {
                LearnOutcome.Added => "learned: " + flow.TraceText(),
                LearnOutcome.Refreshed => "refreshed the learned flow: " + flow.TraceText(),
                _ => $"limit {learn.Limit} reached: nothing learned",
            });
            ta.OvsLines.Add("-> " + flow.TraceText());
            if (outcome == LearnOutcome.LimitReached)
                ta.OvsLines.Add("-> Limit exceeded, learn failed");
            if (learn.ResultDestination is { } rd)
                ta.OvsLines.Add("-> " + OvsTraceNotes.SubfieldIsNow(rd, in ctx.Key));
        }
    }

    /// <summary>
    /// fin_timeout: on a TCP packet with FIN or RST, the running rule's timeouts are reduced (OVS's xlate_fin_timeout).
    /// The pass is not cached: the effect belongs to the rule that ran, per packet.
    /// </summary>
    private void FinTimeout(XlateContext ctx, FinTimeoutAction ft, TraceAction? ta)
    {
        if (ctx.Key.EthType is not (EtherTypes.IPv4 or EtherTypes.IPv6) || ctx.Key.NwProto != IpProtocols.Tcp)
            return;
        ctx.Uncacheable = true;
        if ((ctx.Key.TcpFlags & (ushort)(TcpFlags.Fin | TcpFlags.Rst)) == 0 || ctx.RunningRule is not { } rule)
            return;
        _bridge.Tables.ReduceTimeouts(rule, ft.IdleTimeout, ft.HardTimeout);
        ta?.Effects.Add($"FIN or RST: the rule's timeouts are now idle_timeout={rule.IdleTimeout}, hard_timeout={rule.HardTimeout}");
    }

    // ---- dec_ttl

    /// <summary>False when the TTL expired (the rest of this action list is skipped, as OVS does).</summary>
    private static bool DecTtl(XlateContext ctx, int packetIns, TraceAction? ta)
    {
        if (!ctx.Key.IsIp)
        {
            ta?.Effects.Add("not IP: no-op");
            return true;
        }
        if (ctx.TrackConsulted)
            ctx.Consulted.NwTtl = 0xff;
        if (ctx.Key.NwTtl <= 1)
        {
            // ovs-actions(7): no decrement; a packet-in with reason OFPR_INVALID_TTL (OVS's datapath
            // action userspace(controller(reason=2))), a counted punt here; this action list stops,
            // outer resubmit levels go on. Unless something else outputs, the packet ends ttl-expired.
            for (int i = 0; i < packetIns; i++)
                ctx.Emit(DpKind.Punt); // one packet-in per controller id of dec_ttl(id1,id2,...)
            ctx.RecordDrop(DropReason.TtlExpired);
            ta?.Effects.Add($"nw_ttl {ctx.Key.NwTtl}: decrement TTL exception, packet-in (invalid_ttl) to the controller (none attached); the rest of this action list is skipped");
            return false;
        }
        ctx.Key.NwTtl--;
        ctx.Dirty = true;
        ta?.Effects.Add($"nw_ttl: {ctx.Key.NwTtl + 1} -> {ctx.Key.NwTtl}");
        return true;
    }

    // ---- groups

    private void Group(XlateContext ctx, GroupAction ga, TraceAction? ta)
    {
        if (!_bridge.TryGetGroup(ga.GroupId, out var group))
        {
            ctx.RecordDrop(DropReason.GroupMissing);
            ta?.Effects.Add($"group {ga.GroupId} does not exist: drop");
            return;
        }
        switch (group.Type)
        {
            case GroupType.Select:
                {
                    var b = group.PickSelect(in ctx.Key, _bridge, ref ctx.Consulted, ctx.TrackConsulted, out uint hash);
                    if (b is null)
                    {
                        ctx.RecordDrop(DropReason.GroupMissing);
                        ta?.Effects.Add($"group {group.GroupId}: no live bucket: drop");
                        return;
                    }
                    ta?.Effects.Add(group.Method == SelectMethod.DpHash
                        ? $"group {group.GroupId}: dp_hash=0x{hash:x8} ({(group.HashAlgorithm == DpHashAlgorithm.SymmetricL4 ? "sym_l4" : "l4")}({group.HashBasis}), {group.HashMask + 1} hash values): using bucket {b.BucketId}"
                        : $"group {group.GroupId}: {(group.Method == SelectMethod.Hash ? "hash of fields" : "default hash")} 0x{hash:x8}: using bucket {b.BucketId}");
                    RunBucket(ctx, group, b, ta);
                    break;
                }
            case GroupType.FastFailover:
                {
                    var b = group.FirstLive(_bridge);
                    if (b is null)
                    {
                        ctx.RecordDrop(DropReason.GroupMissing);
                        ta?.Effects.Add($"group {group.GroupId}: no live bucket: drop");
                        return;
                    }
                    RunBucket(ctx, group, b, ta);
                    break;
                }
            default:
                // all and indirect: every bucket, each on the packet as it came to the group.
                for (int i = 0; i < group.Buckets.Count; i++)
                    RunBucket(ctx, group, group.Buckets[i], ta);
                break;
        }
    }

    private void RunBucket(XlateContext ctx, FlowGroup group, GroupBucket bucket, TraceAction? ta)
    {
        bucket.AddStats(ctx.PacketBytes);
        if (ctx.TrackConsulted)
            ctx.BucketCredits.Add(bucket);
        ta?.Effects.Add($"group {group.GroupId}: bucket {bucket.BucketId}");
        TraceStep? step = null;
        if (ctx.Trace is { } t)
        {
            step = new TraceStep(ctx.NodeName, TraceKind.Group, ctx.Depth) { Summary = $"group {group.GroupId} bucket {bucket.BucketId}" };
            t.Steps.Add(step);
            ta?.Children.Add(step);
        }
        FlowKey saved = ctx.Key;
        byte table = ctx.TableId;
        DoActions(ctx, bucket.Actions, step);
        ctx.Key = saved;
        ctx.TableId = table;
        ctx.Dirty = true;
    }
}
