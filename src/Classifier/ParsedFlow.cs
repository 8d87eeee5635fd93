namespace Datapath.Classifier;

/// <summary>
/// One line of <c>ovs-ofctl add-flow(s)</c> or <c>dump-flows</c> text, parsed: the flow-mod fields,
/// the match, the verbatim action text (with any <c>conjunction(...)</c> clauses extracted) and,
/// for dump-flows lines, the statistics it carried.
/// </summary>
public sealed class ParsedFlow
{
    public required string File { get; init; }
    public required int Line { get; init; }

    /// <summary>The table, when <c>table=</c> was written (add: default 0; delete/modify: default all tables).</summary>
    public byte? Table { get; init; }
    public byte TableId => Table ?? 0;

    /// <summary>1-based column of <c>table=</c>; 0 when it was not written.</summary>
    public int TableColumn { get; init; }

    /// <summary>The priority, when <c>priority=</c> was written (default <see cref="Match.DefaultPriority"/>).</summary>
    public ushort? PriorityGiven { get; init; }
    public ushort Priority => PriorityGiven ?? Match.DefaultPriority;

    public ulong Cookie { get; init; }
    /// <summary>Non-zero when written as <c>cookie=value/mask</c> (modify/delete filters).</summary>
    public ulong CookieMask { get; init; }

    /// <summary>1-based column of <c>cookie=</c>; 0 when it was not written.</summary>
    public int CookieColumn { get; init; }

    public required Match Match { get; init; }

    public ushort IdleTimeout { get; init; }
    public ushort HardTimeout { get; init; }
    public ushort Importance { get; init; }
    public FlowModFlags Flags { get; init; }
    public uint? OutPort { get; init; }

    /// <summary>The action text after <c>actions=</c>, verbatim (trimmed); null when the line had none.</summary>
    public string? ActionsText { get; init; }

    /// <summary>1-based column where the action text starts (for errors in actions reported by the engine).</summary>
    public int ActionsColumn { get; init; }

    public IReadOnlyList<Conjunction> Conjunctions { get; init; } = [];

    // ---- statistics from dump-flows output (ignored by add-flow, as ovs-ofctl ignores them)
    public TimeSpan? Duration { get; init; }
    public long? PacketCount { get; init; }
    public long? ByteCount { get; init; }
    public long? IdleAge { get; init; }
    public long? HardAge { get; init; }

    /// <summary>A new rule for this line (table 0 when none was given).</summary>
    public FlowRule ToRule()
        => new(TableId, Priority, Match, ActionsText ?? string.Empty, Conjunctions, Cookie, IdleTimeout, HardTimeout, Importance, Flags)
        {
            SourceFile = File,
            SourceLine = Line,
        };

    public override string ToString() => $"{File}:{Line}: {ToRule()}";
}
