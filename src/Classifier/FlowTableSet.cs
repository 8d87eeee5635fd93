using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// The OpenFlow tables 0..254 of one bridge, each a <see cref="FlowClassifier"/>, sharing one
/// version clock so that a bundle of flow-mods across tables becomes visible all at once.
/// </summary>
/// <remarks>
/// Lookups: any thread, lock-free.  Modifiers (flow-mods, bundles, loads, learns, expiry): any thread; they are
/// serialized by an internal lock that lookups never take.  Rules(): a snapshot of the current
/// version, safe to call while lookups run.
/// <para>
/// Timeouts (OVS's rule_expire): a rule with an idle or hard timeout is kept in a list of timed rules, and
/// <see cref="NextExpiryMs"/> is a lower bound of their deadlines (a hit or a learn's refresh only moves a
/// deadline later, so the bound stays true until <see cref="Expire"/> recomputes it). The packet path compares
/// its time with the bound (one read) and calls Expire only when it has passed.
/// </para>
/// <para>
/// delete_learned (OVS's learned_cookies): for each (table, cookie) of a <c>learn(...,delete_learned)</c>, the
/// number of visible rules whose actions hold one; when a flow-mod, a bundle or an expiry takes it to zero,
/// the flows of that table with that cookie are deleted, as a next bundle under the same lock.
/// </para>
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
    private readonly List<FlowRule> _timed = [];
    private long _nextExpiryMs = long.MaxValue;
    private readonly Dictionary<(byte Table, ulong Cookie), int> _learnedCookies = [];

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

    /// <summary>
    /// When the bridge began on its packet clock (ms): the time a rule there since the start (CreatedMs
    /// <see cref="FlowRule.Never"/>) counts its timeouts from. Unset (Never), the first <see cref="Expire"/> sets it
    /// to its time (a replay's first frame); the live daemon sets it to its start.
    /// </summary>
    public long StartMs
    {
        get => Volatile.Read(ref _startMs);
        set => Volatile.Write(ref _startMs, value);
    }

    private long _startMs = FlowRule.Never;

    /// <summary>
    /// No timed rule expires at or before this time (ms): a packet at a time beyond it calls <see cref="Expire"/>;
    /// <see cref="long.MaxValue"/> while no rule has a timeout.
    /// </summary>
    public long NextExpiryMs => Volatile.Read(ref _nextExpiryMs);

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
        => ApplyBundleCore(mods, strict, fromText: false, nowMs: null);

    // nowMs: the packet time a learn or an expiry runs at (stamps the rules it adds); null: ClockMs's.
    private FlowModResult ApplyBundleCore(IReadOnlyList<FlowMod> mods, bool strict, bool fromText, long? nowMs)
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
                        ApplyOne(mod, v, added, removed, touched, conjTouched, nowMs);
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
            var result = new FlowModResult(
                [.. added.Where(r => r.RemoveVersion > v)],
                [.. removed.Where(r => r.AddVersion < v)],
                newWarnings);
            foreach (FlowRule r in result.Added)
            {
                if (r.IdleTimeout != 0 || r.HardTimeout != 0)
                {
                    _timed.Add(r);
                    Volatile.Write(ref _nextExpiryMs, Math.Min(_nextExpiryMs, r.ExpiryDeadline(StartMs)));
                }
            }
            DeleteDeadLearnedCookies(result, nowMs);
            return result;
        }
    }

    // OVS's learned_cookies_inc/dec and learned_cookies_flush: runs after the bundle is published, under its lock.
    private void DeleteDeadLearnedCookies(FlowModResult result, long? nowMs)
    {
        List<(byte Table, ulong Cookie)>? dead = null;
        foreach (FlowRule r in result.Added)
        {
            foreach (var c in r.Actions?.DeleteLearned ?? [])
                _learnedCookies[c] = _learnedCookies.GetValueOrDefault(c) + 1;
        }
        foreach (FlowRule r in result.Removed)
        {
            foreach (var c in r.Actions?.DeleteLearned ?? [])
            {
                if (!_learnedCookies.TryGetValue(c, out int n))
                    continue;
                if (n > 1)
                    _learnedCookies[c] = n - 1;
                else
                {
                    _learnedCookies.Remove(c);
                    (dead ??= []).Add(c);
                }
            }
        }
        if (dead is null)
            return;
        var mods = dead.Select(c => FlowMod.Delete(Match.CatchAll, c.Table, cookie: c.Cookie, cookieMask: ulong.MaxValue)).ToList();
        ApplyBundleCore(mods, strict: false, fromText: false, nowMs);
    }

    /// <summary>
    /// Runs one learned flow-mod as OVS's learn action does (ofproto_flow_mod_init_for_learn, ofproto_flow_mod_learn):
    /// a visible rule with the same match, priority, timeouts, flags, cookie and actions is refreshed (its
    /// <see cref="FlowRule.ModifiedMs"/> set to <paramref name="nowMs"/>: the hard timeout restarts; no new version);
    /// otherwise, unless <paramref name="limit"/> rules of the table already carry the flow's cookie, it is added
    /// at <paramref name="nowMs"/>, replacing a rule with its match and priority and taking that rule's counters and
    /// last use (OVS keeps them unless reset_counts). <paramref name="template"/> is never inserted itself: an add
    /// inserts a copy, so a refresh (every cached hit of a learning megaflow) allocates nothing.
    /// </summary>
    public LearnOutcome Learn(FlowRule template, long nowMs, uint limit)
    {
        ArgumentNullException.ThrowIfNull(template);
        FlowRule rule = template;
        lock (_writeLock)
        {
            byte t = CheckTable(rule.TableId);
            long v = _clock.Current;
            FlowRule? old = _tables[t].FindExact(rule.Match, rule.Priority, v);
            if (old is not null && old.IdleTimeout == rule.IdleTimeout && old.HardTimeout == rule.HardTimeout
                && old.Importance == rule.Importance && old.Flags == rule.Flags && old.Cookie == rule.Cookie
                && string.Equals(old.ActionsText, rule.ActionsText, StringComparison.Ordinal))
            {
                old.Modified(nowMs);
                return LearnOutcome.Refreshed;
            }
            if (limit != 0 && _tables[t].VisibleRules(v).Count(r => r.Cookie == rule.Cookie) >= limit)
                return LearnOutcome.LimitReached;
            rule = new FlowRule(template.TableId, template.Priority, template.Match, template.ActionsText, template.Conjunctions,
                template.Cookie, template.IdleTimeout, template.HardTimeout, template.Importance, template.Flags) { Actions = template.Actions };
            ApplyBundleCore([FlowMod.Add(rule)], strict: false, fromText: false, nowMs);
            if (old is not null)
            {
                rule.AddStats(old.PacketCount, old.ByteCount);
                rule.Touch(old.LastUsedMs);
            }
            return LearnOutcome.Added;
        }
    }

    /// <summary>
    /// fin_timeout's effect on <paramref name="rule"/> (OVS's ofproto_rule_reduce_timeouts): its idle and hard
    /// timeouts are lowered to the given ones where those are shorter, and it joins the timed rules.
    /// </summary>
    public void ReduceTimeouts(FlowRule rule, ushort idleTimeout, ushort hardTimeout)
    {
        ArgumentNullException.ThrowIfNull(rule);
        lock (_writeLock)
        {
            bool wasTimed = rule.IdleTimeout != 0 || rule.HardTimeout != 0;
            if (!rule.ReduceTimeouts(idleTimeout, hardTimeout))
                return;
            if (!wasTimed)
                _timed.Add(rule);
            Volatile.Write(ref _nextExpiryMs, Math.Min(_nextExpiryMs, rule.ExpiryDeadline(StartMs)));
        }
    }

    /// <summary>
    /// Deletes every rule whose idle or hard timeout has passed at <paramref name="nowMs"/> (now &gt; deadline, as
    /// OVS's rule_expire), as one bundle, and recomputes <see cref="NextExpiryMs"/>. Returns the rules deleted.
    /// The caller pushes pending flow-cache stats first, so that idle times are exact.
    /// </summary>
    public IReadOnlyList<FlowRule> Expire(long nowMs)
    {
        lock (_writeLock)
        {
            if (StartMs == FlowRule.Never)
                StartMs = nowMs;
            long v = _clock.Current;
            long start = StartMs;
            long next = long.MaxValue;
            var expired = new List<FlowRule>();
            _timed.RemoveAll(r => !r.IsVisibleIn(v));
            foreach (FlowRule r in _timed)
            {
                long deadline = r.ExpiryDeadline(start);
                if (nowMs > deadline)
                    expired.Add(r);
                else
                    next = Math.Min(next, deadline);
            }
            Volatile.Write(ref _nextExpiryMs, next);
            if (expired.Count == 0)
                return [];
            var result = ApplyBundleCore([.. expired.Select(r => FlowMod.Delete(r.Match, r.TableId, strict: true, r.Priority))], strict: false, fromText: false, nowMs);
            _timed.RemoveAll(r => !r.IsVisibleIn(_clock.Current));
            return result.Removed;
        }
    }

    private void ApplyOne(FlowMod mod, long v, List<FlowRule> added, List<FlowRule> removed, HashSet<byte> touched, HashSet<byte> conjTouched, long? nowMs)
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
                rule.CreatedMs = nowMs ?? ClockMs?.Invoke() ?? FlowRule.Never;
                rule.Modified(rule.CreatedMs);
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
                        replacement.Modified(nowMs ?? ClockMs?.Invoke() ?? old.ModifiedMs); // OVS's modify makes a new rule: modified = now
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
        return ApplyBundleCore(mods, strict, fromText: true, nowMs: null);
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
