using System.Globalization;
using System.Diagnostics.CodeAnalysis;
using Datapath.Classifier;
using Datapath.Engine.Actions;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Engine;

// Bridge
// ======
//
// What?
// -----
// One Open vSwitch bridge (br-int): its ports, up to 255 OpenFlow tables of rules, its groups and
// meters, the NORMAL action's MAC table, the tunnel-metadata TLV map, and the counters a user asks
// about (per rule n_packets/n_bytes, per port rx/tx/drop, drops per table and reason, punts).
//
// Design
// ------
// The bridge is data; the walk is the Translator's (OVS's split between ofproto and
// ofproto-dpif-xlate).  Rules come from the classifier's FlowTableSet; their actions are parsed
// here (ActionParser) and attached as the rule's IFlowActions, so the classifier never learns
// what an action is.  Ports are also indexed by ofport in an array so output is one load.
// Loading checks what can be known at load time (unknown port names, bad fields, an action on a
// field whose prerequisites the rule's match does not guarantee — OVS's OFPBAC_MATCH_INCONSISTENT)
// and reports FILE:LINE:COL; what can only be known per packet becomes a counted drop.
// Learned flows (the learn action, Learn) and timeouts (ExpireFlows) go through the table set like
// any flow-mod, so they advance Tables.Version and the flow caches see them; meters are looked up
// by the datapath action that runs them (Node.Execute), so a meter-mod needs no cache flush.
//
// Invariants
// ----------
//  - Every rule in Tables has Actions set to an ActionList.
//  - _byOfPort[p] is the port numbered p, or null.
//  - Every packet offered to the bridge becomes outputs or exactly one drop counted in Drops.
//
// Thread-safety
// -------------
// Construction (AddPort, LoadFlows, AddGroup): single-threaded, before traffic.
// Lookups and counters: any thread (FlowTableSet lookups are lock-free; counters Interlocked).
//
// Cost
// ----
// Port lookup O(1); rule lookup is the classifier's (tuple space search); memory is the rules,
// one ActionList per rule and a 64 Ki-entry port array at most.
public sealed class Bridge : IPortMap
{
    private readonly Dictionary<string, BridgePort> _byName = new(StringComparer.Ordinal);
    private BridgePort?[] _byOfPort = new BridgePort?[64];
    private readonly SortedDictionary<uint, BridgePort> _ports = [];
    // Copy-on-write: a group-mod publishes a new dictionary, so lookups on worker threads never see one mid-change.
    private Dictionary<uint, FlowGroup> _groups = [];
    private Dictionary<uint, Meter> _meters = [];
    private readonly List<string> _warnings = [];
    private long _punts;
    private long _generation;
    private TlvMap _tlvMap;

    public Bridge(string name = "br-int")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        RecircIds = new Cache.RecirculationIds(Invalidate);
    }

    public string Name { get; }
    public FlowTableSet Tables { get; } = new();

    /// <summary>
    /// The tables' names (OVSDB Flow_Table <c>name</c>; set before flows are loaded): flows loaded through
    /// the bridge may then say <c>table=NAME</c>, <c>resubmit(,NAME)</c>, <c>goto_table:NAME</c>,
    /// <c>ct(table=NAME)</c>, and <see cref="DumpFlows(bool, byte?, NamesShown, FlowStatsClock)"/> and traces print them
    /// when asked to. The bridge as an <see cref="IPortMap"/> gives its ports only, so what prints with it
    /// keeps table numbers.
    /// </summary>
    public TableNameMap? TableNames { get; set; }

    /// <summary>
    /// How many VLAN tags a received frame's flow holds (OVS's Open_vSwitch other_config:vlan-limit, whose default is 1):
    /// 1 or 2, 0 meaning OVS's own maximum (2). Beyond it a tag is payload: a QinQ frame then matches dl_type=0x8100.
    /// </summary>
    public int VlanLimit
    {
        get => _vlanLimit;
        set => _vlanLimit = value is 0 or > FlowKey.MaxVlanHeaders ? FlowKey.MaxVlanHeaders : value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "vlan-limit is not negative");
    }

    private int _vlanLimit = 1;

    TableNameMap? IPortMap.TableNames => null;

    /// <summary>What the bridge's flow, action and group parsers read names with: its ports and its table names.</summary>
    private IPortMap ParseNames => new NameView(this, TableNames);

    /// <summary>Port and table names as flow text may use them (<c>table=SpoofGuard</c>, <c>in_port=antrea-gw0</c>), for parsers outside the bridge (the control socket's del-flows, mod-flows and dump-flows filters).</summary>
    public IPortMap InputNames => ParseNames;
    /// <summary>The tunnel-metadata map (<c>ovs-ofctl add-tlv-map</c>).</summary>
    public TlvMap TlvMap
    {
        get => _tlvMap;
        set
        {
            _tlvMap = value;
            Invalidate();
        }
    }

    /// <summary>
    /// Advances whenever bridge state outside the flow tables that a pass may read changes: ports,
    /// groups, the TLV map, the MAC learning table, the recirculation ids. With
    /// <c>Tables.Version</c> it is what the flow caches check (Cache/FlowCache.cs).
    /// </summary>
    public long CacheGeneration => Volatile.Read(ref _generation) + MacTable.Changes;

    /// <summary>The recirc_id of each frozen state (resume table, metadata, registers).</summary>
    internal Cache.RecirculationIds RecircIds { get; }

    /// <summary>Makes every flow cache of this bridge flush before its next lookup.</summary>
    public void Invalidate() => Interlocked.Increment(ref _generation);
    public MacLearningTable MacTable { get; } = new();
    public DropCounters Drops { get; } = new();
    /// <summary>Packets sent to the controller (there is none: each is also counted as a drop unless output elsewhere).</summary>
    public long Punts => Volatile.Read(ref _punts);
    /// <summary>Load-time warnings (FILE:LINE:COL: text): resubmits to empty tables, groups not defined.</summary>
    public IReadOnlyList<string> LoadWarnings => _warnings;

    // ---- Construction: single-threaded.

    public BridgePort AddPort(uint ofPort, string name, MacAddress mac, PortKind kind)
    {
        var port = new BridgePort(ofPort, name, mac, kind);
        if (_ports.ContainsKey(ofPort))
            throw new InvalidOperationException($"bridge {Name} already has a port {ofPort}");
        if (!_byName.TryAdd(name, port))
            throw new InvalidOperationException($"bridge {Name} already has a port named {name}");
        port.Index = _ports.Count;
        _ports.Add(ofPort, port);
        if (ofPort >= _byOfPort.Length)
            Array.Resize(ref _byOfPort, (int)Math.Min(Classifier.OpenFlowPorts.Max, Math.Max(ofPort + 1, (uint)_byOfPort.Length * 2)));
        _byOfPort[ofPort] = port;
        Invalidate();
        return port;
    }

    /// <summary>Loads <c>add-flows</c>/<c>dump-flows --no-stats</c> text; errors name FILE:LINE:COL.</summary>
    /// <remarks>
    /// The file is one bundle (as <c>ovs-ofctl add-flows --bundle</c>): all of it or, on an error,
    /// none; a later line with an earlier one's match and priority replaces it, as separate adds do.
    /// </remarks>
    public IReadOnlyList<FlowRule> LoadFlows(TextReader reader, string file = "<input>")
    {
        FlowModResult result = Tables.Load(FlowParser.ParseFile(reader, ParseNames, file).ToList(), strict: false, (pf, rule) => AttachActions(pf, rule));
        var added = result.Added.ToList();
        CheckReferences(added);
        return added;
    }

    /// <summary>Adds one flow (<c>ovs-ofctl add-flow</c> syntax).</summary>
    public FlowRule AddFlow(string line, string file = "<input>", int lineNumber = 1)
    {
        var rule = AddParsed(FlowParser.Parse(line, ParseNames, file, lineNumber));
        CheckReferences([rule]);
        return rule;
    }

    /// <summary>Adds a group (<c>ovs-ofctl add-group</c> syntax); an id in use is OVS's OFPGMFC_GROUP_EXISTS.</summary>
    public FlowGroup AddGroup(string text, string file = "<input>", int lineNumber = 1)
    {
        var g = GroupParser.Parse(text, ParseNames, file, lineNumber);
        lock (_groupLock)
        {
            if (_groups.ContainsKey(g.GroupId))
                throw new InputException(file, lineNumber, 1, $"group {g.GroupId} already exists (OFPGMFC_GROUP_EXISTS)");
            g.CreatedMs = Tables.ClockMs?.Invoke() ?? FlowRule.Never;
            PublishGroups(d => d[g.GroupId] = g);
        }
        return g;
    }

    /// <summary>
    /// Replaces a group (<c>ovs-ofctl mod-group</c>): its type and buckets are the new text's, its flows keep
    /// pointing at it. A group that does not exist is OVS's OFPGMFC_UNKNOWN_GROUP.
    /// </summary>
    public FlowGroup ModifyGroup(string text, string file = "<input>", int lineNumber = 1)
    {
        var g = GroupParser.Parse(text, ParseNames, file, lineNumber);
        lock (_groupLock)
        {
            if (!_groups.TryGetValue(g.GroupId, out var old))
                throw new InputException(file, lineNumber, 1, $"group {g.GroupId} does not exist (OFPGMFC_UNKNOWN_GROUP)");
            g.CreatedMs = old.CreatedMs;
            PublishGroups(d => d[g.GroupId] = g);
        }
        return g;
    }

    /// <summary>
    /// Deletes one group, or every group when <paramref name="groupId"/> is null (<c>ovs-ofctl del-groups
    /// [group_id=N]</c>), and, as OpenFlow 1.1+ requires and OVS does, every flow whose actions use a deleted
    /// group. Returns the number of groups deleted (deleting an unknown group is no error, as in OVS).
    /// </summary>
    public int DeleteGroups(uint? groupId)
    {
        lock (_groupLock)
        {
            var gone = groupId is { } id ? (_groups.ContainsKey(id) ? [id] : new HashSet<uint>()) : [.. _groups.Keys];
            if (gone.Count == 0)
                return 0;
            DeleteFlowsUsing(a => a is GroupAction ga && gone.Contains(ga.GroupId));
            PublishGroups(d =>
            {
                foreach (uint g in gone)
                    d.Remove(g);
            });
            return gone.Count;
        }
    }

    private readonly Lock _groupLock = new();

    /// <summary>Deletes, as one bundle, every flow with an action <paramref name="uses"/> (a deleted group's or meter's flows).</summary>
    private void DeleteFlowsUsing(Func<FlowAction, bool> uses)
    {
        var mods = Tables.Rules()
            .Where(r => r.Actions is ActionList list && list.Items.Any(uses))
            .Select(r => FlowMod.Delete(r.Match, r.TableId, strict: true, r.Priority))
            .ToList();
        if (mods.Count > 0)
            Tables.ApplyBundle(mods);
    }

    /// <summary>
    /// Runs <paramref name="add"/> on each line of <paramref name="reader"/> with its number, as ovs-ofctl reads an
    /// add-groups or add-meters file: a <c>#</c> starts a comment wherever it stands, blank lines are skipped.
    /// </summary>
    private static void EachLine(TextReader reader, Action<string, int> add)
    {
        int n = 0;
        while (reader.ReadLine() is { } line)
        {
            n++;
            int comment = line.IndexOf('#', StringComparison.Ordinal);
            string t = (comment >= 0 ? line[..comment] : line).Trim();
            if (t.Length == 0)
                continue;
            add(t, n);
        }
    }

    // ---- Meters (ovs-ofctl -O OpenFlow13 add-meter, mod-meter, del-meters, dump-meters, meter-stats)

    /// <summary>The bridge's meter <paramref name="meterId"/>, if any (any thread).</summary>
    public bool TryGetMeter(uint meterId, [NotNullWhen(true)] out Meter? meter) => Volatile.Read(ref _meters).TryGetValue(meterId, out meter);

    /// <summary>The meters in id order.</summary>
    public IEnumerable<Meter> Meters => Volatile.Read(ref _meters).Values.OrderBy(m => m.Id);

    /// <summary>Adds a meter (<c>add-meter</c> syntax); an id in use is OFPMMFC_METER_EXISTS. <paramref name="nowMs"/>: when, on the bridge's clock.</summary>
    public Meter AddMeter(string text, string file = "<input>", int lineNumber = 1, long? nowMs = null)
    {
        var m = MeterParser.Parse(text, file, lineNumber, nowMs ?? Tables.ClockMs?.Invoke() ?? FlowRule.Never);
        if (m.Id > MeterParser.MaxMeterId)
            throw new InputException(file, lineNumber, 1, $"meter {m.Id} is beyond the datapath's {MeterParser.MaxMeterId} meters (OFPMMFC_INVALID_METER)");
        lock (_groupLock)
        {
            if (_meters.ContainsKey(m.Id))
                throw new InputException(file, lineNumber, 1, $"meter {m.Id} already exists (OFPMMFC_METER_EXISTS)");
            PublishMeters(d => d[m.Id] = m);
        }
        return m;
    }

    /// <summary>Replaces a meter (<c>mod-meter</c>): new bands with full buckets and zero counts, as dpif-netdev's meter_set; OFPMMFC_UNKNOWN_METER if absent.</summary>
    public Meter ModifyMeter(string text, string file = "<input>", int lineNumber = 1, long? nowMs = null)
    {
        var m = MeterParser.Parse(text, file, lineNumber, nowMs ?? Tables.ClockMs?.Invoke() ?? FlowRule.Never);
        lock (_groupLock)
        {
            if (!_meters.ContainsKey(m.Id))
                throw new InputException(file, lineNumber, 1, $"meter {m.Id} does not exist (OFPMMFC_UNKNOWN_METER)");
            PublishMeters(d => d[m.Id] = m);
        }
        return m;
    }

    /// <summary>
    /// Deletes one meter, or all when <paramref name="meterId"/> is null (<c>del-meters [meter=N]</c>), and, as OVS
    /// does, every flow whose actions use a deleted meter. Returns the meters deleted (an unknown one is no error).
    /// </summary>
    public int DeleteMeters(uint? meterId)
    {
        lock (_groupLock)
        {
            var gone = meterId is { } id ? (_meters.ContainsKey(id) ? [id] : new HashSet<uint>()) : [.. _meters.Keys];
            if (gone.Count == 0)
                return 0;
            DeleteFlowsUsing(a => a is MeterAction ma && gone.Contains(ma.MeterId));
            PublishMeters(d =>
            {
                foreach (uint m in gone)
                    d.Remove(m);
            });
            return gone.Count;
        }
    }

    /// <summary>Loads one meter per line (comments and blank lines skipped), before the flows that use them.</summary>
    public void LoadMeters(TextReader reader, string file = "<input>") => EachLine(reader, (t, n) => AddMeter(t, file, n));

    /// <summary>The meters (or meter <paramref name="meterId"/>) as <c>ovs-ofctl -O OpenFlow13 dump-meters</c> prints them, without its reply header; a blank line between meters.</summary>
    public IEnumerable<string> DumpMeters(uint? meterId = null)
    {
        bool first = true;
        foreach (var m in Meters.Where(m => meterId is null || m.Id == meterId))
        {
            if (!first)
                yield return "";
            first = false;
            foreach (var line in m.Format())
                yield return line;
        }
    }

    /// <summary>
    /// The meters' statistics as <c>ovs-ofctl -O OpenFlow13 meter-stats</c> prints them, without its reply header;
    /// duration measured on <paramref name="clock"/> (a meter there since the start counts from its StartMs).
    /// </summary>
    public IEnumerable<string> DumpMeterStats(uint? meterId = null, FlowStatsClock clock = default)
    {
        var flows = new Dictionary<uint, int>();
        foreach (var r in Tables.Rules())
        {
            if (r.Actions is not ActionList list)
                continue;
            foreach (var ma in list.Items.OfType<MeterAction>().Select(a => a.MeterId).Distinct())
                flows[ma] = flows.GetValueOrDefault(ma) + 1;
        }
        bool first = true;
        foreach (var m in Meters.Where(m => meterId is null || m.Id == meterId))
        {
            if (!first)
                yield return "";
            first = false;
            foreach (var line in m.FormatStats(flows.GetValueOrDefault(m.Id), clock.StartMs, clock.NowMs))
                yield return line;
        }
    }

    private void PublishMeters(Action<Dictionary<uint, Meter>> change)
    {
        var next = new Dictionary<uint, Meter>(_meters);
        change(next);
        Volatile.Write(ref _meters, next);
    }

    // ---- Learned flows and timeouts

    /// <summary>
    /// Runs one learned flow-mod at <paramref name="nowMs"/> (the learn action; FlowTableSet.Learn has OVS's
    /// rules: refresh the identical flow, else add unless the limit is reached). Any thread.
    /// </summary>
    public LearnOutcome Learn(LearnedFlow flow, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return Tables.Learn(flow.Template, nowMs, flow.Limit);
    }

    /// <summary>Deletes the rules whose idle or hard timeout passed at <paramref name="nowMs"/> (see FlowTableSet.Expire).</summary>
    public IReadOnlyList<FlowRule> ExpireFlows(long nowMs) => Tables.Expire(nowMs);

    private void PublishGroups(Action<Dictionary<uint, FlowGroup>> change)
    {
        var next = new Dictionary<uint, FlowGroup>(_groups);
        change(next);
        Volatile.Write(ref _groups, next);
        Invalidate();
    }

    /// <summary>Loads one group per line (comments and blank lines skipped).</summary>
    public void LoadGroups(TextReader reader, string file = "<input>") => EachLine(reader, (t, n) => AddGroup(t, file, n));

    private FlowRule AddParsed(ParsedFlow pf)
    {
        var rule = pf.ToRule();
        AttachActions(pf, rule);
        Tables.Add(rule);
        return rule;
    }

    /// <summary>Parses and checks the flow's actions onto its rule and records where they were written.</summary>
    private void AttachActions(ParsedFlow pf, FlowRule rule)
    {
        for (int n = 0; n < 8; n++)
        {
            // ovs-fields(7): a flow may match tun_metadataN only once the TLV map gives it an option.
            if (pf.Match.GetMask(FieldId.TunMetadata0 + n) != 0 && UnmappedTunMetadata(FieldId.TunMetadata0 + n) is { } unmapped)
                throw new InputException(pf.File, pf.Line, 1, UnmappedTunMetadataMessage(unmapped), UnmappedTunMetadataHint(unmapped));
        }
        string text = pf.ActionsText ?? "";
        ActionList actions;
        try
        {
            actions = ActionParser.Parse(text, ParseNames);
            ActionValidator.Check(actions, rule.Match);
            for (int i = 0; i < actions.Items.Length; i++)
            {
                // ofproto_check_ofpacts: a meter instruction names a meter the switch has.
                if (actions.Items[i] is MeterAction m && !TryGetMeter(m.MeterId, out _))
                    throw ActionParser.Error($"meter {m.MeterId} does not exist (OFPMMFC_INVALID_METER)", actions.OffsetOf(i), "add the meter first (add-meter, or the scenario's meters file)");
                // ... and a group action a group the switch has (OFPBAC_BAD_OUT_GROUP), as OVS 3.1 refuses it.
                if (actions.Items[i] is GroupAction g && !TryGetGroup(g.GroupId, out _))
                    throw ActionParser.Error($"group {g.GroupId} does not exist (OFPBAC_BAD_OUT_GROUP)", actions.OffsetOf(i), "add the group first (add-group, or the scenario's groups file)");
                // ... and tun_metadataN, read or written, a field the TLV map has (NXFMFC_INVALID_TLV_FIELD).
                var (source, destination) = actions.Items[i] switch
                {
                    SetFieldAction sf => ((FieldInfo?)null, (FieldInfo?)sf.Destination.Field),
                    MoveAction mv => (mv.Source.Field, mv.Destination.Field),
                    _ => (null, null),
                };
                foreach (var f in (ReadOnlySpan<FieldInfo?>)[source, destination])
                {
                    if (f is not null && UnmappedTunMetadata(f.Id) is { } n)
                        throw ActionParser.Error(UnmappedTunMetadataMessage(n), actions.OffsetOf(i), UnmappedTunMetadataHint(n));
                }
            }
        }
        catch (InputException e) when (e.File == ActionParser.Fragment)
        {
            throw e.Within(pf.File, pf.Line, Math.Max(1, pf.ActionsColumn));
        }
        rule.Actions = actions;
        _locations[rule] = (pf.File, pf.Line, pf.ActionsColumn);
    }

    /// <summary>N when <paramref name="id"/> is tun_metadataN and the TLV map does not map it; else null.</summary>
    private int? UnmappedTunMetadata(FieldId id)
        => id is >= FieldId.TunMetadata0 and <= FieldId.TunMetadata7 && (TlvMap.MappedIndexes & (1u << (id - FieldId.TunMetadata0))) == 0
            ? id - FieldId.TunMetadata0 : null;

    private static string UnmappedTunMetadataMessage(int n) => $"tun_metadata{n} has no TLV mapping (NXFMFC_INVALID_TLV_FIELD)";

    private static string UnmappedTunMetadataHint(int n) => $"map a GENEVE option to it first, as ovs-ofctl add-tlv-map does: {{class=0xffff,type={n},len=4}}->tun_metadata{n}";

    private readonly Dictionary<FlowRule, (string File, int Line, int Column)> _locations = new(ReferenceEqualityComparer.Instance);

    private void CheckReferences(List<FlowRule> rules)
    {
        foreach (var rule in rules)
        {
            if (rule.Actions is not ActionList list)
                continue;
            var (file, line, col) = _locations[rule];
            for (int i = 0; i < list.Items.Length; i++)
            {
                int at = col + list.OffsetOf(i);
                switch (list.Items[i])
                {
                    case ResubmitAction { Table: { } t } when !Tables.Rules(t).Any():
                        _warnings.Add($"{file}:{line}:{at}: {(list.Items[i] is ResubmitAction { IsGotoTable: true } ? "goto_table" : "resubmit")} to table {t}, which has no rules (packets will be dropped there as no-match)");
                        break;
                }
            }
        }
    }

    // ---- Lookups: any thread.

    public IEnumerable<BridgePort> Ports => _ports.Values;

    public bool TryGetPort(uint ofPort, [NotNullWhen(true)] out BridgePort? port)
    {
        var a = _byOfPort;
        port = ofPort < (uint)a.Length ? a[ofPort] : null;
        return port is not null;
    }

    public bool TryGetPort(string name, [NotNullWhen(true)] out BridgePort? port) => _byName.TryGetValue(name, out port);

    /// <summary>A port by name or number (<c>antrea-gw0</c>, <c>2</c>).</summary>
    public BridgePort GetPort(string nameOrNumber)
        => TryGetPort(nameOrNumber, out var p) ? p
            : uint.TryParse(nameOrNumber, out uint n) && TryGetPort(n, out p) ? p
            : throw new ArgumentException($"bridge {Name} has no port '{nameOrNumber}'", nameof(nameOrNumber));

    public bool TryGetGroup(uint groupId, [NotNullWhen(true)] out FlowGroup? group) => Volatile.Read(ref _groups).TryGetValue(groupId, out group);

    public IEnumerable<FlowGroup> Groups => Volatile.Read(ref _groups).Values.OrderBy(g => g.GroupId);

    /// <summary>
    /// The groups (or the one <paramref name="groupId"/> names) as <c>ovs-ofctl dump-groups</c> prints them, without
    /// its reply header; like <see cref="DumpFlows(bool, byte?, NamesShown, FlowStatsClock)"/>, without OVS's leading
    /// space (<see cref="FlowDumpIndent"/>), which the commands that print a dump put in front.
    /// </summary>
    public IEnumerable<string> DumpGroups(NamesShown names = NamesShown.None, uint? groupId = null)
    {
        IPortMap? shown = NameView.For(this, TableNames, names);
        return Groups.Where(g => groupId is null || g.GroupId == groupId).Select(g => g.Format(shown));
    }

    bool IPortMap.TryGetPort(string name, out uint ofport)
    {
        if (_byName.TryGetValue(name, out var p))
        {
            ofport = p.OfPort;
            return true;
        }
        ofport = 0;
        return false;
    }

    bool IPortMap.TryGetName(uint ofport, out string? name)
    {
        name = TryGetPort(ofport, out var p) ? p.Name : null;
        return name is not null;
    }

    /// <summary>
    /// The rules as <c>ovs-ofctl dump-flows [--no-stats] [table=T]</c> prints them, in load order, with the
    /// names <paramref name="names"/> says (by default port names and table numbers).
    /// </summary>
    public IEnumerable<string> DumpFlows(bool withStats = true, byte? table = null, NamesShown names = NamesShown.Ports, FlowStatsClock clock = default)
        => DumpFlows(Tables.Rules(table), withStats, names, clock);

    /// <summary>
    /// Per table, what dump-tables counts: packets its rules matched (their n_packets summed) and lookups that matched
    /// no rule (the no-match drops counted there); lookups = matched + missed. Tables with neither are left out.
    /// Read by `run --metrics` and `datapath bench`; not for the packet path (it walks every rule).
    /// </summary>
    public IReadOnlyDictionary<byte, (long Matched, long Missed)> TableLookups()
    {
        var result = new SortedDictionary<byte, (long Matched, long Missed)>();
        foreach (var r in Tables.Rules())
        {
            long n = r.PacketCount;
            if (n != 0)
                result[r.TableId] = (result.GetValueOrDefault(r.TableId).Matched + n, result.GetValueOrDefault(r.TableId).Missed);
        }
        foreach (var (table, reason, count) in Drops.NonZero())
        {
            if (reason == DropReason.NoMatch && table != DropCounters.NoTable)
                result[table] = (result.GetValueOrDefault(table).Matched, result.GetValueOrDefault(table).Missed + count);
        }
        return result;
    }

    /// <summary>
    /// The given rules as dump-flows prints them (a filtered or sorted dump), <c>duration</c> and <c>idle_age</c>
    /// measured on <paramref name="clock"/> (<see cref="FlowStatsClock"/>). Without OVS's leading space: the
    /// commands that print a dump put <see cref="FlowDumpIndent"/> in front of each line.
    /// </summary>
    public IEnumerable<string> DumpFlows(IEnumerable<FlowRule> rules, bool withStats, NamesShown names, FlowStatsClock clock = default)
    {
        IPortMap? shown = NameView.For(this, TableNames, names);
        return rules.Select(r => r.Format(shown, withStats, clock));
    }

    /// <summary>What ovs-ofctl prints before each flow of a dump-flows reply (one space, with or without stats).</summary>
    public const string FlowDumpIndent = " ";

    /// <summary>
    /// Port counters as <c>ovs-ofctl dump-ports</c> prints them: a header naming <paramref name="node"/> and the
    /// bridge (where OVS prints the reply's xid), then two lines per port in ofport order, the port as a number
    /// (a name, quoted as ovs-ofctl quotes it, when <paramref name="names"/> shows ports), a space before a
    /// one-digit number as OVS pads it. Counters the bridge does not keep (errs, frame, over, crc, coll) print
    /// <c>?</c>, as OVS prints a counter its datapath does not support.
    /// </summary>
    public IEnumerable<string> DumpPorts(string node, NamesShown names = NamesShown.None)
    {
        var ports = Ports.OrderBy(p => p.OfPort).ToList();
        yield return $"OFPST_PORT reply (node {node}, bridge {Name}): {ports.Count} ports";
        foreach (var p in ports)
        {
            var c = p.Counters;
            string id = (names & NamesShown.Ports) != 0 ? TableNameMap.Format(p.Name) : p.OfPort.ToString(CultureInfo.InvariantCulture);
            string pad = p.OfPort < 10 ? " " : "";
            yield return string.Create(CultureInfo.InvariantCulture, $"  port {pad}{id}: rx pkts={c.RxPackets}, bytes={c.RxBytes}, drop={c.RxDropped}, errs=?, frame=?, over=?, crc=?");
            yield return string.Create(CultureInfo.InvariantCulture, $"           tx pkts={c.TxPackets}, bytes={c.TxBytes}, drop={c.TxDropped}, errs=?, coll=?");
        }
    }

    internal void CountPunt() => Interlocked.Increment(ref _punts);

    /// <summary>Zeroes rule, port and drop counters (rules stay).</summary>
    public void ClearCounters()
    {
        foreach (var r in Tables.Rules(null))
            r.AddStats(-r.PacketCount, -r.ByteCount);
        foreach (var p in _ports.Values)
            p.Counters.Clear();
        Drops.Clear();
        Interlocked.Exchange(ref _punts, 0);
    }
}
