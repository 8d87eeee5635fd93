using System.Globalization;
using System.Text;

namespace Datapath.Classifier;

/// <summary>
/// One OpenFlow flow entry: where it lives (table, priority), what it matches, its cookie, timeouts,
/// actions (text kept verbatim, <see cref="Actions"/> set by the engine) and counters.
/// A rule whose actions are only <c>conjunction(...)</c> (and <c>note</c>) is a conjunctive rule:
/// it takes part in conjunctive matches and is never itself the result of a lookup.
/// </summary>
/// <remarks>
/// Immutable except for the counters and <see cref="Actions"/>.  A rule belongs to at most one
/// classifier; the classifier sets its visibility versions and insertion sequence.
/// </remarks>
public sealed class FlowRule
{
    private long _packetCount;
    private long _byteCount;

    public FlowRule(byte tableId, ushort priority, Match match, string actionsText,
        IReadOnlyList<Conjunction>? conjunctions = null, ulong cookie = 0,
        ushort idleTimeout = 0, ushort hardTimeout = 0, ushort importance = 0, FlowModFlags flags = FlowModFlags.None)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(actionsText);
        TableId = tableId;
        Priority = priority;
        Match = match;
        ActionsText = actionsText;
        Conjunctions = conjunctions ?? [];
        _conjunctions = [.. Conjunctions];
        Cookie = cookie;
        IdleTimeout = idleTimeout;
        HardTimeout = hardTimeout;
        Importance = importance;
        Flags = flags;
    }

    public byte TableId { get; }
    public ushort Priority { get; }
    public ulong Cookie { get; }
    public Match Match { get; }
    /// <summary>Seconds; 0 = permanent. Only a fin_timeout action lowers it (FlowTableSet.ReduceTimeouts).</summary>
    public ushort IdleTimeout { get; private set; }
    /// <summary>Seconds; 0 = permanent. Only a fin_timeout action lowers it.</summary>
    public ushort HardTimeout { get; private set; }

    /// <summary>OVS's reduce_timeout, for both: a non-zero limit replaces no timeout or a longer one.</summary>
    internal bool ReduceTimeouts(ushort idle, ushort hard)
    {
        bool changed = false;
        if (idle != 0 && (IdleTimeout == 0 || IdleTimeout > idle))
        {
            IdleTimeout = idle;
            changed = true;
        }
        if (hard != 0 && (HardTimeout == 0 || HardTimeout > hard))
        {
            HardTimeout = hard;
            changed = true;
        }
        return changed;
    }
    public ushort Importance { get; }
    public FlowModFlags Flags { get; }

    /// <summary>The conjunction(id,k/n) actions; non-empty means this is a conjunctive rule.</summary>
    public IReadOnlyList<Conjunction> Conjunctions { get; }

    public bool IsConjunctive => _conjunctions.Length > 0;

    /// <summary>The conjunctions as an array (no interface dispatch on the lookup path).</summary>
    internal ReadOnlySpan<Conjunction> ConjunctionSpan => _conjunctions;

    private readonly Conjunction[] _conjunctions;

    /// <summary>Where the rule was read from (file), if it came from text; warnings and errors name it.</summary>
    public string? SourceFile { get; init; }

    /// <summary>The 1-based line in <see cref="SourceFile"/>.</summary>
    public int SourceLine { get; init; }

    /// <summary>The action text as written (after <c>actions=</c>).</summary>
    public string ActionsText { get; }

    /// <summary>The parsed actions; set by the engine, opaque to the classifier.</summary>
    public IFlowActions? Actions { get; set; }

    public long PacketCount => Interlocked.Read(ref _packetCount);
    public long ByteCount => Interlocked.Read(ref _byteCount);

    /// <summary>Counts one packet of <paramref name="bytes"/> bytes (any thread).</summary>
    public void AddStats(int bytes)
    {
        Interlocked.Increment(ref _packetCount);
        Interlocked.Add(ref _byteCount, bytes);
    }

    /// <summary>Counts one packet of <paramref name="bytes"/> bytes seen at <paramref name="nowMs"/> (any thread).</summary>
    public void AddStats(int bytes, long nowMs)
    {
        AddStats(bytes);
        Touch(nowMs);
    }

    /// <summary>"No time": a rule never hit, or one there since the bridge's start (<see cref="FlowStatsClock"/>).</summary>
    public const long Never = long.MinValue;

    private long _lastUsedMs = Never;

    /// <summary>When a packet last matched the rule, in the bridge's packet clock (ms), or <see cref="Never"/>.</summary>
    public long LastUsedMs => Volatile.Read(ref _lastUsedMs);

    /// <summary>Records a hit at <paramref name="nowMs"/>; the latest time wins when threads race.</summary>
    public void Touch(long nowMs) => RaiseTo(ref _lastUsedMs, nowMs);

    /// <summary>Sets <paramref name="location"/> to <paramref name="value"/> unless it holds a later time (lock-free).</summary>
    private static void RaiseTo(ref long location, long value)
    {
        long seen = Volatile.Read(ref location);
        while (value > seen)
        {
            long was = Interlocked.CompareExchange(ref location, value, seen);
            if (was == seen)
                return;
            seen = was;
        }
    }

    /// <summary>Adds counts wholesale (a modify carries the old rule's counters to the new one).</summary>
    public void AddStats(long packets, long bytes)
    {
        Interlocked.Add(ref _packetCount, packets);
        Interlocked.Add(ref _byteCount, bytes);
    }

    // ---- classifier bookkeeping (single writer publishes; readers only read)

    /// <summary>Insertion order within its classifier: the earlier rule wins ties (docs/classifier.md).</summary>
    internal long Sequence { get; set; }

    /// <summary>Visible to lookups in versions [AddVersion, RemoveVersion).</summary>
    internal long AddVersion;
    internal long RemoveVersion = long.MaxValue;

    /// <summary>The identical-match list this rule sits in (for the soft-match "next lower rule" step).</summary>
    internal MatchList? List;

    internal bool IsVisibleIn(long version) => AddVersion <= version && version < Volatile.Read(ref RemoveVersion);

    /// <summary>
    /// When the flow-mod that made the rule ran, in the bridge's packet clock (ms; set by the table set from its
    /// <see cref="FlowTableSet.ClockMs"/>, or the packet's time for a learned flow), or <see cref="Never"/> for a
    /// rule there since the bridge's start.
    /// </summary>
    public long CreatedMs { get; internal set; } = Never;

    private long _modifiedMs = Never;

    /// <summary>
    /// When the rule was made, modified or refreshed by a learn that found it unchanged (OVS's rule->modified):
    /// its hard_timeout counts from here. <see cref="Never"/>: since the bridge's start.
    /// </summary>
    public long ModifiedMs => Volatile.Read(ref _modifiedMs);

    /// <summary>Sets <see cref="ModifiedMs"/> (a learn's refresh; the latest time wins when threads race).</summary>
    internal void Modified(long nowMs) => RaiseTo(ref _modifiedMs, nowMs);

    /// <summary>
    /// The time after which the rule has expired (OVS's rule_expire: hard_timeout from <see cref="ModifiedMs"/>,
    /// idle_timeout from the last hit or, never hit, from its creation), <paramref name="startMs"/> standing for
    /// <see cref="Never"/>; <see cref="long.MaxValue"/> for a permanent rule. Expired when now &gt; the deadline.
    /// </summary>
    public long ExpiryDeadline(long startMs)
    {
        long deadline = long.MaxValue;
        if (HardTimeout != 0)
        {
            long modified = ModifiedMs == Never ? startMs : ModifiedMs;
            deadline = modified + HardTimeout * 1000L;
        }
        if (IdleTimeout != 0)
        {
            long used = LastUsedMs != Never ? LastUsedMs : CreatedMs != Never ? CreatedMs : startMs;
            deadline = Math.Min(deadline, used + IdleTimeout * 1000L);
        }
        return deadline;
    }

    /// <summary>
    /// Prints the rule as <c>ovs-ofctl dump-flows</c> does: with stats
    /// (<c>cookie=, duration=, table=, n_packets=, n_bytes=, ... idle_age=</c>) or as
    /// <c>--no-stats</c> does (cookie only when non-zero, table only when non-zero or named).
    /// </summary>
    public string Format(IPortMap? ports, bool withStats) => Format(ports, withStats, default);

    /// <summary>As <see cref="Format(IPortMap?, bool)"/>, with <c>duration</c> and <c>idle_age</c> measured on <paramref name="clock"/>.</summary>
    public string Format(IPortMap? ports, bool withStats, FlowStatsClock clock)
    {
        TimeSpan duration = clock.Duration(this);
        var sb = new StringBuilder();
        if (withStats || Cookie != 0)
            sb.Append("cookie=0x").Append(Cookie.ToString("x", CultureInfo.InvariantCulture)).Append(", ");
        if (withStats)
        {
            OfpDuration.Append(sb.Append("duration="), duration).Append(", "); // ofp_print_duration: 5s, 5.270s
        }
        // ofputil_flow_stats_format: table 0 too when it has a name to show.
        if (withStats || TableId != 0 || ports?.TableNames?.NameOf(TableId) is not null)
            TableNameMap.Append(sb.Append("table="), TableId, ports?.TableNames).Append(", ");
        if (withStats)
        {
            sb.Append("n_packets=").Append(PacketCount.ToString(CultureInfo.InvariantCulture)).Append(", ");
            sb.Append("n_bytes=").Append(ByteCount.ToString(CultureInfo.InvariantCulture)).Append(", ");
        }
        if (IdleTimeout != 0)
            sb.Append("idle_timeout=").Append(IdleTimeout.ToString(CultureInfo.InvariantCulture)).Append(", ");
        if (HardTimeout != 0)
            sb.Append("hard_timeout=").Append(HardTimeout.ToString(CultureInfo.InvariantCulture)).Append(", ");
        if (Flags != FlowModFlags.None)
            sb.Append(FormatFlags(Flags)).Append(", ");
        if (Importance != 0)
            sb.Append("importance=").Append(Importance.ToString(CultureInfo.InvariantCulture)).Append(", ");
        if (withStats)
        {
            long idle = (long)clock.IdleAge(this).TotalSeconds;
            sb.Append("idle_age=").Append(idle.ToString(CultureInfo.InvariantCulture)).Append(", ");
        }
        int before = sb.Length;
        MatchFormatter.Format(sb, Match, ports, Priority);
        if (sb.Length != before)
            sb.Append(' ');
        sb.Append("actions=").Append(Actions?.Format(ports) ?? ActionsText);
        return sb.ToString();
    }

    public override string ToString() => Format(null, withStats: false);

    internal static string FormatFlags(FlowModFlags flags)
    {
        var parts = new List<string>();
        if ((flags & FlowModFlags.SendFlowRemoved) != 0)
            parts.Add("send_flow_rem");
        if ((flags & FlowModFlags.CheckOverlap) != 0)
            parts.Add("check_overlap");
        if ((flags & FlowModFlags.ResetCounts) != 0)
            parts.Add("reset_counts");
        if ((flags & FlowModFlags.NoPacketCounts) != 0)
            parts.Add("no_packet_counts");
        if ((flags & FlowModFlags.NoByteCounts) != 0)
            parts.Add("no_byte_counts");
        return string.Join(' ', parts);
    }
}
