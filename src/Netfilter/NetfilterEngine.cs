using Datapath.Conntrack;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

// Netfilter engine
// ================
//
// What?
// -----
// Runs packets through the iptables tables of one node at the five hooks, with the kernel's semantics:
// first match wins, jumps/gotos/RETURN, chain policies, per-rule and policy counters, packet marks, and
// NAT decided by the nat table on a connection's first packet only, kept and applied by conntrack.
//
// Design
// ------
// Each hook is a fixed list of stages in the kernel's priority order (IPv4, nf_ip_hook_priorities):
//
//   PREROUTING   raw(-300)  conntrack(-200)  mangle(-150)  nat/DNAT(-100)
//   INPUT        mangle(-150)  filter(0)  nat/SNAT(+100)  confirm(INT_MAX)
//   FORWARD      mangle(-150)  filter(0)
//   OUTPUT       raw(-300)  conntrack(-200)  mangle(-150)  nat/DNAT(-100)  filter(0)
//   POSTROUTING  mangle(-150)  nat/SNAT(+100)  confirm(INT_MAX)
//
// A nat stage asks conntrack (INatConntrack) whether this packet must decide the binding for its manip
// (a new connection whose binding is not initialised); only then is the nat chain traversed, and the
// decision (a NatRange, or none = null binding) handed to conntrack, which picks the unique tuple. Every
// packet then gets the binding applied by conntrack (reversed on replies). Without a conntrack the engine
// is stateless: every packet is a first packet and the engine rewrites the key (and frame) itself.
//
// Chains are walked recursively (iptables forbids loops, checked at COMMIT, so depth is bounded by the
// number of chains) over the table's CompiledTable: one flat array of rule structs, each chain a contiguous
// slot range, with header, folded matches, target arguments and counters inline (see CompiledTable).
// A chain's rules are split by ChainCompiler into dispatch segments: a run of rules
// each requiring one exact (daddr/32, proto, dport), as kube-proxy's KUBE-SERVICES is, is entered through
// a hash index instead of a scan, so a first-packet decision costs O(1) in the number of services. Rules
// that cannot be indexed split the run; candidates are tried in chain order, so first-match semantics
// are exactly those of a linear scan (a test checks both on random rule sets).
//
// Tracing, two kinds. Our own: when NetfilterPacket.Trace is not null, every matched rule, return and policy is
// appended as table:chain:rule:N:VERDICT (`datapath trace` shows every step of its packet). The kernel's: the TRACE
// target sets the packet's nf_trace bit (TraceRequested), which stays set through every later hook; from then on each
// matched rule, chain end and policy is reported to the rule set's XtablesMonitor, if one is attached, in
// `xtables-monitor --trace`'s words (rule handles, verdicts, PACKET lines; see XtablesMonitor). Packets no TRACE rule
// selected cost one bool test per event site. When neither is asked for nothing is formatted.
//
// Invariants
// ----------
//  - Rules, chains and tables are immutable after COMMIT except counters, nth counters and recent lists.
//  - The nat table never sees a packet of an established connection when a conntrack is bound.
//
// Thread-safety
// -------------
// Run may be called from several threads at once: counters are Interlocked, nth uses compare-exchange
// like the kernel, the random source is lock-free, recent lists take a lock.
//
// Cost
// ----
// Per hook: O(rules scanned) + O(1) per indexed segment; no allocation unless tracing. A kube-proxy
// first-packet decision reads about 6 rule structs (adjacent per service) and one index entry.
public sealed class NetfilterEngine
{
    private enum StageKind : byte
    {
        Table,
        ConntrackIn,
        Nat,
        Confirm,
    }

    private readonly record struct Stage(StageKind Kind, Chain? Chain, NatManip Manip);

    private readonly Stage[][] _hooks = new Stage[5][];
    private long _logCount;
    private long _masqueradeNoAddressDrops;

    public NetfilterEngine(RuleSet rules, NetfilterEngineOptions? options = null)
    {
        options ??= new NetfilterEngineOptions();
        Rules = rules;
        Host = options.Host;
        Conntrack = options.Conntrack;
        Random = new NetfilterRandom(options.RandomSeed);
        BindSets(rules, options);
        var raw = rules.Raw;
        var mangle = rules.Mangle;
        var nat = rules.Nat;
        var filter = rules.Filter;
        bool natStage = nat is not null || Conntrack is not null;
        foreach (NetfilterHook hook in Enum.GetValues<NetfilterHook>())
        {
            string c = NetfilterTable.HookChainName(hook);
            var stages = new List<Stage>();
            void AddTable(NetfilterTable? t)
            {
                if (t is not null && t.TryGetChain(c, out var chain))
                    stages.Add(new Stage(StageKind.Table, chain, default));
            }
            void AddNat(NatManip manip)
            {
                if (natStage)
                    stages.Add(new Stage(StageKind.Nat, nat is not null && nat.TryGetChain(c, out var chain) ? chain : null, manip));
            }
            switch (hook)
            {
                case NetfilterHook.Prerouting:
                    AddTable(raw);
                    stages.Add(new Stage(StageKind.ConntrackIn, null, default));
                    AddTable(mangle);
                    AddNat(NatManip.Destination);
                    break;
                case NetfilterHook.Input:
                    AddTable(mangle);
                    AddTable(filter);
                    AddNat(NatManip.Source);
                    stages.Add(new Stage(StageKind.Confirm, null, default));
                    break;
                case NetfilterHook.Forward:
                    AddTable(mangle);
                    AddTable(filter);
                    break;
                case NetfilterHook.Output:
                    AddTable(raw);
                    stages.Add(new Stage(StageKind.ConntrackIn, null, default));
                    AddTable(mangle);
                    AddNat(NatManip.Destination);
                    AddTable(filter);
                    break;
                default:
                    AddTable(mangle);
                    AddNat(NatManip.Source);
                    stages.Add(new Stage(StageKind.Confirm, null, default));
                    break;
            }
            _hooks[(int)hook] = [.. stages];
        }
    }

    // ---- Construction-time data: read-only after the constructor.

    public RuleSet Rules { get; }

    public INetfilterHost? Host { get; }

    public INatConntrack? Conntrack { get; }

    public NetfilterRandom Random { get; }

    /// <summary>How many packets hit a LOG target (we count; we do not write a kernel log).</summary>
    public long LogCount => Volatile.Read(ref _logCount);

    /// <summary>Packets MASQUERADE dropped because the egress interface had no address (as the kernel does).</summary>
    public long MasqueradeNoAddressDrops => Volatile.Read(ref _masqueradeNoAddressDrops);

    private static void BindSets(RuleSet rules, NetfilterEngineOptions options)
    {
        foreach (var rule in rules.AllRules)
        {
            foreach (var m in rule.Matches)
            {
                if (m is not SetMatch sm)
                    continue;
                if (options.Sets is null || !options.Sets.TryGet(sm.SetName, out var set))
                    throw new InputException(sm.File, sm.Line, sm.Column, $"set '{sm.SetName}' does not exist",
                        options.Sets is null ? "give the ipset save file that creates it" : null);
                if (sm.SourceDimensions.Count < set!.Dimensions)
                    throw new InputException(sm.File, sm.Line, sm.Column, $"set '{sm.SetName}' ({set.TypeName}) needs {set.Dimensions} src/dst flags");
                sm.Set = set;
            }
        }
    }

    // ---- Lookups: any thread.

    /// <summary>
    /// Runs <paramref name="packet"/> through every table registered at <paramref name="hook"/>, in the kernel's
    /// order. Marks, NAT and conntrack state are updated in the packet's key (and frame). Never throws on
    /// packet contents.
    /// </summary>
    public NetfilterVerdict Run(NetfilterHook hook, ref NetfilterPacket packet)
    {
        var stages = _hooks[(int)hook];
        var ct = Conntrack;
        if (!packet.TraceRequested && Volatile.Read(ref Rules.Monitor) is { TraceAll: true })
            packet.TraceRequested = true;
        for (int s = 0; s < stages.Length; s++)
        {
            ref readonly Stage stage = ref stages[s];
            switch (stage.Kind)
            {
                case StageKind.Table:
                {
                    var v = RunBuiltin(stage.Chain!, hook, ref packet);
                    if (v != NetfilterVerdict.Accept)
                        return v;
                    break;
                }
                case StageKind.ConntrackIn:
                    ct?.Track(ref packet);
                    break;
                case StageKind.Nat:
                {
                    var v = RunNat(stage.Chain, stage.Manip, hook, ref packet);
                    if (v != NetfilterVerdict.Accept)
                        return v;
                    break;
                }
                default:
                    if (ct is not null && !ct.Confirm(ref packet))
                        return NetfilterVerdict.Drop;
                    break;
            }
        }
        return NetfilterVerdict.Accept;
    }

    private NetfilterVerdict RunNat(Chain? chain, NatManip manip, NetfilterHook hook, ref NetfilterPacket packet)
    {
        var ct = Conntrack;
        if (ct is not null)
        {
            if (ct.NeedsNatDecision(ref packet, manip))
            {
                packet.HasNatRange = false;
                if (chain is not null)
                {
                    var v = RunBuiltin(chain, hook, ref packet);
                    if (v != NetfilterVerdict.Accept)
                        return v;
                }
                if (!ct.SetupNat(ref packet, manip, packet.HasNatRange ? packet.NatRange : null))
                    return NetfilterVerdict.Drop;
            }
            else if (packet.Trace is { } trace)
            {
                trace.Add(new NetfilterTraceStep(hook, "nat", NetfilterTable.HookChainName(hook), NetfilterTraceKind.NatBinding, 0, "APPLY"));
            }
            ct.ApplyNat(ref packet, manip);
            return NetfilterVerdict.Accept;
        }

        // Stateless: every packet is a connection's first packet.
        packet.HasNatRange = false;
        var verdict = RunBuiltin(chain!, hook, ref packet);
        if (verdict == NetfilterVerdict.Accept && packet.HasNatRange)
        {
            packet.NatRange.Select(in packet.Key, manip, out uint address, out ushort port);
            RewriteStateless(ref packet, manip, address, port);
        }
        return verdict;
    }

    private static void RewriteStateless(ref NetfilterPacket packet, NatManip manip, uint address, ushort port)
    {
        ref var key = ref packet.Key;
        bool ports = key.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp && (key.NwFrag & 2) == 0;
        var frame = packet.Frame;
        if (manip == NatManip.Destination)
        {
            if (key.NwDst != address)
            {
                if (!frame.IsEmpty)
                    PacketEditor.SetIpv4Dst(frame, key.Layout, address);
                key.NwDst = address;
            }
            if (ports && key.TpDst != port)
            {
                if (!frame.IsEmpty)
                    PacketEditor.SetTpDst(frame, key.Layout, port);
                key.TpDst = port;
            }
        }
        else
        {
            if (key.NwSrc != address)
            {
                if (!frame.IsEmpty)
                    PacketEditor.SetIpv4Src(frame, key.Layout, address);
                key.NwSrc = address;
            }
            if (ports && key.TpSrc != port)
            {
                if (!frame.IsEmpty)
                    PacketEditor.SetTpSrc(frame, key.Layout, port);
                key.TpSrc = port;
            }
        }
    }

    /// <summary>Traverses a built-in chain and applies its policy when the packet falls off its end.</summary>
    private NetfilterVerdict RunBuiltin(Chain chain, NetfilterHook hook, ref NetfilterPacket packet)
    {
        packet.XtablesHeaderPending = true;
        var r = Traverse(chain.Program!, chain.First, chain.End, -1, chain, hook, ref packet);
        if (r != ChainResult.Continue)
            return r switch
            {
                ChainResult.Drop => NetfilterVerdict.Drop,
                ChainResult.Reject => NetfilterVerdict.Reject,
                _ => NetfilterVerdict.Accept,
            };
        chain.AddPolicyStats(packet.CountedLength);
        if (packet.Trace is { } trace)
            trace.Add(new NetfilterTraceStep(hook, chain.Table.Name, chain.Name, NetfilterTraceKind.Policy, 0,
                chain.Policy == NetfilterVerdict.Accept ? "ACCEPT" : "DROP"));
        if (packet.TraceRequested && Volatile.Read(ref Rules.Monitor) is { } tap)
            tap.Policy(ref packet, chain);
        return chain.Policy;
    }

    private enum ChainResult : byte
    {
        /// <summary>Fell off the end or RETURN: continue in the caller (policy for a built-in chain).</summary>
        Continue,
        Accept,
        Drop,
        Reject,
    }

    /// <summary>Walks the slots [first, end) of a compiled table: the built-in chain <paramref name="builtin"/>
    /// (<paramref name="jumpSlot"/> = -1) or the chain the rule in slot <paramref name="jumpSlot"/> jumps to.</summary>
    private ChainResult Traverse(CompiledTable table, int first, int end, int jumpSlot, Chain? builtin, NetfilterHook hook, ref NetfilterPacket packet)
    {
        var rules = table.Rules;
        int i = first;
        while ((uint)i < (uint)end)
        {
            ref CompiledRule rule = ref rules[i];
            int index;
            if (rule.Segment < 0)
            {
                if (!RuleMatches(table, ref rule, i, ref packet))
                {
                    i++;
                    continue;
                }
                index = i;
            }
            else
            {
                var segment = table.Segments[rule.Segment];
                index = FindInSegment(table, segment, i, ref packet);
                if (index < 0)
                {
                    i = segment.End;
                    continue;
                }
                rule = ref rules[index];
            }

            var r = Execute(table, ref rule, index, hook, ref packet);
            if (r != ExecResult.Next)
            {
                return r switch
                {
                    ExecResult.Return => ChainResult.Continue,
                    ExecResult.Accept => ChainResult.Accept,
                    ExecResult.Drop => ChainResult.Drop,
                    _ => ChainResult.Reject,
                };
            }
            i = index + 1;
        }
        if (jumpSlot >= 0 && packet.Trace is { } trace)
        {
            var chain = table.Objects[jumpSlot].Target.Chain!;
            trace.Add(new NetfilterTraceStep(hook, chain.Table.Name, chain.Name, NetfilterTraceKind.Return, 0, "RETURN"));
        }
        if (packet.TraceRequested && Volatile.Read(ref Rules.Monitor) is { } tap)
            tap.ChainEnd(ref packet, jumpSlot >= 0 ? table.Objects[jumpSlot].Target.Chain! : builtin!);
        return ChainResult.Continue;
    }

    /// <summary>The first rule at or after slot <paramref name="from"/> of an indexed segment that matches, or -1.</summary>
    private int FindInSegment(CompiledTable table, DispatchSegment segment, int from, ref NetfilterPacket packet)
    {
        ref var key = ref packet.Key;
        var index = segment.Index;
        ref readonly var entry = ref index.Find(Rule.MakeIndexKey(key.NwDst, key.NwProto, key.TpDst));
        if (Unsafe.IsNullRef(in entry))
            return -1;
        var rules = table.Rules;
        Prefetch(rules, entry.First, entry.First + 2);
        Prefetch(rules, entry.HintFirst, entry.HintEnd);
        for (int n = 0; n < entry.Count; n++)
        {
            int c = index.Candidate(in entry, n);
            if (c >= from && RuleMatches(table, ref rules[c], c, ref packet))
                return c;
        }
        return -1;
    }

    /// <summary>ip_packet_match, then the folded matches, then the others in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RuleMatches(CompiledTable table, ref CompiledRule rule, int slot, ref NetfilterPacket packet)
    {
        ref FlowKey key = ref packet.Key;
        var f = rule.Flags;
        if (((key.NwSrc & rule.SourceMask) == rule.Source) == ((f & CompiledRuleFlags.SourceInvert) != 0))
            return false;
        if (((key.NwDst & rule.DestinationMask) == rule.Destination) == ((f & CompiledRuleFlags.DestinationInvert) != 0))
            return false;
        if (rule.Protocol != 0 && ((key.NwProto == rule.Protocol) == ((f & CompiledRuleFlags.ProtocolInvert) != 0)))
            return false;
        return (f & CompiledRuleFlags.Extra) == 0 || ExtraMatches(table, ref rule, slot, ref packet);
    }

    private bool ExtraMatches(CompiledTable table, ref CompiledRule rule, int slot, ref NetfilterPacket packet)
    {
        ref FlowKey key = ref packet.Key;
        var f = rule.Flags;
        if ((f & CompiledRuleFlags.Interfaces) != 0 && !table.Objects[slot].InterfacesMatch(ref packet))
            return false;
        bool laterFragment = (key.NwFrag & 2) != 0;
        if ((f & CompiledRuleFlags.FragmentLater) != 0 && !laterFragment)
            return false;
        if ((f & CompiledRuleFlags.FragmentHead) != 0 && laterFragment)
            return false;
        if ((f & CompiledRuleFlags.Ports) != 0)
        {
            // xt_tcpudp: later fragments carry no ports and never match.
            if (laterFragment)
                return false;
            if ((key.TpSrc >= rule.SourcePortMin && key.TpSrc <= rule.SourcePortMax) == ((f & CompiledRuleFlags.SourcePortInvert) != 0))
                return false;
            if ((key.TpDst >= rule.DestinationPortMin && key.TpDst <= rule.DestinationPortMax) == ((f & CompiledRuleFlags.DestinationPortInvert) != 0))
                return false;
            if (rule.TcpFlagMask != 0 && (((key.TcpFlags & rule.TcpFlagMask) == rule.TcpFlagCompare) == ((f & CompiledRuleFlags.TcpFlagInvert) != 0)))
                return false;
        }
        if ((f & CompiledRuleFlags.Mark) != 0 && (((key.PktMark & rule.MarkMatchMask) == rule.MarkMatchValue) == ((f & CompiledRuleFlags.MarkInvert) != 0)))
            return false;
        if ((f & CompiledRuleFlags.Random) != 0
            && (((Random.NextUInt32() & 0x7FFFFFFF) < rule.Probability) == ((f & CompiledRuleFlags.RandomInvert) != 0)))
            return false;
        if ((f & CompiledRuleFlags.SlowMatches) != 0)
        {
            var matches = table.Objects[slot].SlowMatches;
            for (int m = 0; m < matches.Length; m++)
            {
                if (!matches[m].Matches(ref packet, this))
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Asks the CPU for the cache lines of slots [first, blockEnd), at most <see cref="PrefetchBytes"/>: the chain a
    /// jump enters and the chains laid out under it (a kube-proxy service's KUBE-SVC and KUBE-SEP chains), so their
    /// misses overlap instead of following one another.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(CompiledRule[] rules, int first, int blockEnd)
    {
        if (!Sse.IsSupported || (uint)first >= (uint)rules.Length || blockEnd <= first)
            return;
        int bytes = Math.Min(blockEnd - first, rules.Length - first) * sizeof(CompiledRule);
        if (bytes > PrefetchBytes)
            bytes = PrefetchBytes;
        // A hint only: the address is not dereferenced, so an array moved by the GC costs nothing but the hint.
        byte* p = (byte*)Unsafe.AsPointer(ref rules[first]);
        for (int o = 0; o < bytes; o += 64)
            Sse.Prefetch0(p + o);
    }

    private const int PrefetchBytes = 768;

    private enum ExecResult : byte
    {
        Next,
        Return,
        Accept,
        Drop,
        Reject,
    }

    private ExecResult Execute(CompiledTable table, ref CompiledRule rule, int slot, NetfilterHook hook, ref NetfilterPacket packet)
    {
        Interlocked.Increment(ref rule.Packets);
        Interlocked.Add(ref rule.Bytes, packet.CountedLength);
        if (packet.Trace is { } trace)
        {
            var o = table.Objects[slot];
            trace.Add(new NetfilterTraceStep(hook, o.Chain.Table.Name, o.Chain.Name, NetfilterTraceKind.Rule, o.Number, o.Target.TraceVerdict));
        }
        if (rule.Kind is TargetKind.Jump or TargetKind.Goto)
            return ExecuteJump(table, ref rule, slot, hook, ref packet);
        var result = ExecuteTarget(ref rule, ref packet);
        if (packet.TraceRequested)
            XtablesRule(ref packet, table.Objects[slot]);
        return result;
    }

    /// <summary>Reports a matched rule to the rule set's xtables monitor (the packet has nf_trace set).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void XtablesRule(ref NetfilterPacket packet, Rule rule)
    {
        if (Volatile.Read(ref Rules.Monitor) is { } tap)
            tap.Rule(ref packet, rule);
    }

    /// <summary>-j CHAIN continues after the chain returns; -g CHAIN returns from the current chain too.</summary>
    private ExecResult ExecuteJump(CompiledTable table, ref CompiledRule rule, int slot, NetfilterHook hook, ref NetfilterPacket packet)
    {
        Prefetch(table.Rules, rule.JumpFirst, rule.JumpBlockEnd);
        if (packet.TraceRequested)
            XtablesRule(ref packet, table.Objects[slot]);
        return Traverse(table, rule.JumpFirst, rule.JumpEnd, slot, null, hook, ref packet) switch
        {
            ChainResult.Continue => rule.Kind == TargetKind.Goto ? ExecResult.Return : ExecResult.Next,
            ChainResult.Accept => ExecResult.Accept,
            ChainResult.Drop => ExecResult.Drop,
            _ => ExecResult.Reject,
        };
    }

    private ExecResult ExecuteTarget(ref CompiledRule rule, ref NetfilterPacket packet)
    {
        switch (rule.Kind)
        {
            case TargetKind.None:
                return ExecResult.Next;
            case TargetKind.Accept:
                return ExecResult.Accept;
            case TargetKind.Drop:
                return ExecResult.Drop;
            case TargetKind.Return:
                return ExecResult.Return;
            case TargetKind.Reject:
                packet.RejectWith = rule.RejectWith;
                return ExecResult.Reject;
            case TargetKind.Mark:
                packet.Key.PktMark = (packet.Key.PktMark & ~rule.MarkMask) ^ rule.MarkValue;
                return ExecResult.Next;
            case TargetKind.Dnat:
            case TargetKind.Snat:
                packet.NatRange = rule.Nat;
                packet.HasNatRange = true;
                return ExecResult.Accept;
            case TargetKind.Masquerade:
            {
                if (Host is null || packet.OutInterface is null
                    || !Host.TrySelectSourceAddress(packet.OutInterface, packet.Key.NwDst, out uint address))
                {
                    Interlocked.Increment(ref _masqueradeNoAddressDrops);
                    return ExecResult.Drop;
                }
                var range = rule.Nat;
                packet.NatRange = range with { MinAddress = address, MaxAddress = address, Flags = range.Flags | NatRangeFlags.MapIps };
                packet.HasNatRange = true;
                return ExecResult.Accept;
            }
            case TargetKind.Trace:
                packet.TraceRequested = true;
                return ExecResult.Next;
            default: // Log
                packet.LogCount++;
                Interlocked.Increment(ref _logCount);
                return ExecResult.Next;
        }
    }
}
