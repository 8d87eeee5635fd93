using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// The OpenFlow tables 0..254 of one bridge, each a <see cref="FlowClassifier"/>, sharing one
/// version clock so that a bundle of flow-mods across tables becomes visible all at once.
/// </summary>
/// <remarks>
/// Lookups: any thread, lock-free.  Modifiers (flow-mods, bundles, loads): any thread; they are
/// serialized by an internal lock that lookups never take.  Rules(): a snapshot of the current
/// version, safe to call while lookups run.
/// </remarks>
public sealed class FlowTableSet
{
    /// <summary>Tables 0..254 (255 means "all tables" in modify and delete).</summary>
    public const int TableCount = 255;

    private readonly VersionClock _clock = new();
    private readonly FlowClassifier[] _tables = new FlowClassifier[TableCount];
    private readonly Lock _writeLock = new();
    private readonly List<ClassifierWarning> _warnings = [];
    private readonly HashSet<string> _warned = [];
    private long _nextSequence;

    public FlowTableSet()
    {
        for (int i = 0; i < TableCount; i++)
            _tables[i] = new FlowClassifier(_clock);
    }

    /// <summary>
    /// The bridge's packet clock (ms), read once per added rule to stamp <see cref="FlowRule.CreatedMs"/>; null
    /// (a scenario loading, an offline replay) stamps "since the start". The live daemon sets it to its clock.
    /// </summary>
    public Func<long>? ClockMs { get; set; }

    /// <summary>The published version (advances once per flow-mod or bundle).</summary>
    public long Version => _clock.Current;

    /// <summary>One table's classifier.</summary>
    public FlowClassifier this[byte table] => _tables[CheckTable(table)];

    /// <summary>Warnings from loads and bundles so far (overlapping conjunctive flows).</summary>
    public IReadOnlyList<ClassifierWarning> LoadWarnings
    {
        get
        {
            lock (_writeLock)
                return [.. _warnings];
        }
    }

    // ---- Lookups: any thread, lock-free.

    /// <summary>
    /// The winning rule of <paramref name="table"/> for <paramref name="key"/> (conjunctions
    /// resolved to the conj_id rule), or null on a miss; ORs the consulted bits into <paramref name="consulted"/>.
    /// </summary>
    public FlowRule? Lookup(byte table, in FlowKey key, ref FlowKey consulted)
        => _tables[CheckTable(table)].Lookup(in key, ref consulted);

    // ---- Modifiers: serialized internally.

    /// <summary>Adds a rule; a visible rule with the identical match and priority in its table is replaced. Returns the replaced rule.</summary>
    public FlowRule? Add(FlowRule rule)
    {
        FlowModResult r = ApplyBundle([FlowMod.Add(rule)]);
        return r.Removed.Count > 0 ? r.Removed[0] : null;
    }

    public int Modify(Match match, FlowRule actionsFrom, byte? table = null, ulong cookie = 0, ulong cookieMask = 0)
        => ApplyBundle([FlowMod.Modify(match, actionsFrom, table, strict: false, cookie: cookie, cookieMask: cookieMask)]).Added.Count;

    public int ModifyStrict(byte table, Match match, ushort priority, FlowRule actionsFrom, ulong cookie = 0, ulong cookieMask = 0)
        => ApplyBundle([FlowMod.Modify(match, actionsFrom, table, strict: true, priority, cookie, cookieMask)]).Added.Count;

    public int Delete(Match match, byte? table = null, ulong cookie = 0, ulong cookieMask = 0)
        => ApplyBundle([FlowMod.Delete(match, table, strict: false, cookie: cookie, cookieMask: cookieMask)]).Removed.Count;

    public int DeleteStrict(byte table, Match match, ushort priority, ulong cookie = 0, ulong cookieMask = 0)
        => ApplyBundle([FlowMod.Delete(match, table, strict: true, priority, cookie, cookieMask)]).Removed.Count;

    /// <summary>Applies one flow-mod (a bundle of one).</summary>
    public FlowModResult Apply(FlowMod mod) => ApplyBundle([mod]);

    /// <summary>
    /// Applies the flow-mods in order as one atomic bundle: concurrent lookups see all of them or
    /// none.  If one fails (bad table, add with a cookie mask, check_overlap, overlap under
    /// <paramref name="strict"/>) nothing is applied and the exception propagates.
    /// </summary>
    public FlowModResult ApplyBundle(IReadOnlyList<FlowMod> mods, bool strict = false)
        => ApplyBundleCore(mods, strict, fromText: false);

    private FlowModResult ApplyBundleCore(IReadOnlyList<FlowMod> mods, bool strict, bool fromText)
    {
        ArgumentNullException.ThrowIfNull(mods);
        lock (_writeLock)
        {
            long v = _clock.Current + 1;
            var added = new List<FlowRule>();
            var removed = new List<FlowRule>();
            var touched = new HashSet<byte>();
            var conjTouched = new HashSet<byte>();
            List<ClassifierWarning> newWarnings = [];
            try
            {
                foreach (FlowMod mod in mods)
                {
                    try
                    {
                        ApplyOne(mod, v, added, removed, touched, conjTouched);
                    }
                    catch (Exception ex) when (fromText && ex is InvalidOperationException or ArgumentOutOfRangeException && mod.Rule?.SourceFile is { } file)
                    {
                        // A flow read from text: report it at its line, as a parse error would be.
                        throw new InputException(file, Math.Max(1, mod.Rule.SourceLine), 0, ex.Message);
                    }
                }
                foreach (byte t in conjTouched)
                    newWarnings.AddRange(CheckConjunctions(t, v, strict));
            }
            catch
            {
                for (int i = added.Count - 1; i >= 0; i--)
                    _tables[added[i].TableId].Unlink(added[i]);
                foreach (FlowRule r in removed)
                {
                    if (r.AddVersion < v)
                        _tables[r.TableId].UnmarkRemoved(r);
                }
                throw;
            }
            _clock.Publish(v);
            foreach (byte t in touched)
                _tables[t].Purge(v);
            _warnings.AddRange(newWarnings);
            return new FlowModResult(
                [.. added.Where(r => r.RemoveVersion > v)],
                [.. removed.Where(r => r.AddVersion < v)],
                newWarnings);
        }
    }

    private void ApplyOne(FlowMod mod, long v, List<FlowRule> added, List<FlowRule> removed, HashSet<byte> touched, HashSet<byte> conjTouched)
    {
        switch (mod.Command)
        {
            case FlowModCommand.Add:
            {
                FlowRule rule = mod.Rule!;
                byte t = CheckTable(rule.TableId);
                if (mod.CookieMask != 0)
                    throw new InvalidOperationException("flow additions cannot use a cookie mask");
                FlowClassifier table = _tables[t];
                FlowRule? old = table.FindExact(rule.Match, rule.Priority, v);
                if ((rule.Flags & FlowModFlags.CheckOverlap) != 0)
                {
                    foreach (FlowRule other in table.VisibleRules(v))
                    {
                        if (other != old && other.Priority == rule.Priority && other.Match.Intersects(rule.Match))
                            throw new InvalidOperationException($"OFPFMFC_OVERLAP: the new flow overlaps \"{other}\" at priority {rule.Priority} (check_overlap)");
                    }
                }
                if (old is not null)
                {
                    table.MarkRemoved(old, v);
                    removed.Add(old);
                    if (old.IsConjunctive)
                        conjTouched.Add(t);
                }
                rule.CreatedMs = ClockMs?.Invoke() ?? FlowRule.Never;
                table.InsertAt(rule, v, old?.Sequence ?? _nextSequence++);
                added.Add(rule);
                touched.Add(t);
                if (rule.IsConjunctive)
                    conjTouched.Add(t);
                break;
            }
            case FlowModCommand.Modify:
            case FlowModCommand.ModifyStrict:
            case FlowModCommand.Delete:
            case FlowModCommand.DeleteStrict:
            {
                bool modify = mod.Command is FlowModCommand.Modify or FlowModCommand.ModifyStrict;
                bool strictMod = mod.Command is FlowModCommand.ModifyStrict or FlowModCommand.DeleteStrict;
                IEnumerable<byte> tables = mod.Table is { } only && only != 255
                    ? [CheckTable(only)]
                    : Enumerable.Range(0, TableCount).Select(i => (byte)i);
                foreach (byte t in tables)
                {
                    FlowClassifier table = _tables[t];
                    if (table.PhysicalRuleCount == 0)
                        continue;
                    IEnumerable<FlowRule> candidates = strictMod
                        ? table.FindExact(mod.Match, mod.Priority, v) is { } exact ? [exact] : []
                        : table.VisibleRules(v);
                    foreach (FlowRule old in candidates.ToList())
                    {
                        if (!mod.Selects(old))
                            continue;
                        table.MarkRemoved(old, v);
                        removed.Add(old);
                        touched.Add(t);
                        if (old.IsConjunctive)
                            conjTouched.Add(t);
                        if (!modify)
                            continue;
                        FlowRule template = mod.Rule!;
                        var replacement = new FlowRule(old.TableId, old.Priority, old.Match, template.ActionsText, template.Conjunctions,
                            mod.NewCookie ?? old.Cookie, old.IdleTimeout, old.HardTimeout, old.Importance, old.Flags)
                        {
                            SourceFile = template.SourceFile ?? old.SourceFile,
                            SourceLine = template.SourceFile is null ? old.SourceLine : template.SourceLine,
                            Actions = template.Actions,
                        };
                        if ((template.Flags & FlowModFlags.ResetCounts) == 0)
                            replacement.AddStats(old.PacketCount, old.ByteCount);
                        replacement.CreatedMs = old.CreatedMs;
                        replacement.Touch(old.LastUsedMs);
                        table.InsertAt(replacement, v, old.Sequence);
                        added.Add(replacement);
                        if (replacement.IsConjunctive)
                            conjTouched.Add(t);
                    }
                }
                break;
            }
        }
    }

    private List<ClassifierWarning> CheckConjunctions(byte table, long v, bool strict)
    {
        var list = new List<ClassifierWarning>();
        foreach (var (a, b, idA, idB, priority) in ConjunctionOverlapDetector.Find(_tables[table].VisibleRules(v)))
        {
            string message = $"conjunctive flows conjunction({idA},...) and conjunction({idB},...) overlap at priority {priority} in table {table}: "
                + $"a packet can match both \"{a}\" ({Where(a)}) and \"{b}\" ({Where(b)}); ovs-fields(7) says overlapping conjunctive flows yield unpredictable results";
            if (strict)
                throw new InputException(a.SourceFile ?? "<input>", Math.Max(1, a.SourceLine), 0, message);
            if (_warned.Add(message))
                list.Add(new ClassifierWarning(a.SourceFile ?? "<input>", Math.Max(1, a.SourceLine), message));
        }
        return list;
    }

    private static string Where(FlowRule r) => r.SourceFile is null ? "added at run time" : $"{r.SourceFile}:{r.SourceLine}";

    /// <summary>
    /// Adds parsed flows as one bundle (the way <c>ovs-ofctl add-flows --bundle</c> does).
    /// Overlapping conjunctive flows are warnings, or an <see cref="InputException"/> (at the first flow's line) under <paramref name="strict"/>.
    /// </summary>
    public FlowModResult Load(IEnumerable<ParsedFlow> flows, bool strict = false) => Load(flows, strict, prepare: null);

    /// <summary>
    /// <see cref="Load(IEnumerable{ParsedFlow}, bool)"/>, calling <paramref name="prepare"/> on each
    /// flow's rule before the bundle is applied (the bridge parses and attaches actions there);
    /// an exception from it aborts the load with nothing applied.  Conjunction overlaps are checked
    /// once per table touched, so a file of n flows loads in O(n) lookups, not O(n^2).
    /// </summary>
    public FlowModResult Load(IEnumerable<ParsedFlow> flows, bool strict, Action<ParsedFlow, FlowRule>? prepare)
    {
        ArgumentNullException.ThrowIfNull(flows);
        var mods = new List<FlowMod>();
        foreach (ParsedFlow f in flows)
        {
            if (f.TableId >= TableCount)
                throw new InputException(f.File, f.Line, f.TableColumn, $"table={f.TableId} is not a table a flow can be added to (0..254)");
            if (f.CookieMask != 0)
                throw new InputException(f.File, f.Line, f.CookieColumn, "flow additions cannot use a cookie mask");
            FlowMod mod = FlowMod.FromParsed(f, FlowModCommand.Add);
            prepare?.Invoke(f, mod.Rule!);
            mods.Add(mod);
        }
        return ApplyBundleCore(mods, strict, fromText: true);
    }

    /// <summary>Parses and loads an add-flows file.</summary>
    public FlowModResult LoadFile(TextReader reader, IPortMap? ports, string file = "<input>", bool strict = false)
        => Load(FlowParser.ParseFile(reader, ports, file).ToList(), strict);

    /// <summary>Visible rules of one table or of all, in insertion order (so a loaded file dumps back in its order).</summary>
    public IEnumerable<FlowRule> Rules(byte? table = null)
    {
        long v = _clock.Current;
        if (table is { } t)
            return _tables[CheckTable(t)].VisibleRules(v);
        var all = new List<FlowRule>();
        foreach (FlowClassifier c in _tables)
        {
            if (c.PhysicalRuleCount > 0)
                all.AddRange(c.VisibleRules(v));
        }
        all.Sort(static (a, b) => a.TableId != b.TableId ? a.TableId.CompareTo(b.TableId) : a.Sequence.CompareTo(b.Sequence));
        return all;
    }

    /// <summary>Visible rule count over all tables.</summary>
    public int Count => Rules().Count();

    /// <summary>The lines of <c>ovs-ofctl dump-flows</c> (with or without stats) for one table or all, stats measured on <paramref name="clock"/>.</summary>
    public IEnumerable<string> DumpFlows(IPortMap? ports, bool withStats, byte? table = null, FlowStatsClock clock = default)
        => Rules(table).Select(r => r.Format(ports, withStats, clock));

    private static byte CheckTable(byte table)
        => table < TableCount ? table : throw new ArgumentOutOfRangeException(nameof(table), $"table {table} is not 0..254");
}
