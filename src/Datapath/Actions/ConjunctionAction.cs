using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>conjunction(id,k/n)</c>. The classifier resolves conjunctive matches; the translator never
/// executes this action (a rule whose actions are only conjunctions is a clause, not a target).
/// </summary>
public sealed class ConjunctionAction : FlowAction
{
    public ConjunctionAction(uint id, byte clause, byte clauseCount) : base(ActionKind.Conjunction)
    {
        Id = id;
        Clause = clause;
        ClauseCount = clauseCount;
    }

    public uint Id { get; }
    /// <summary>k of k/n, 1-based.</summary>
    public byte Clause { get; }
    public byte ClauseCount { get; }

    public override void Format(StringBuilder sb, IPortMap? ports)
        => sb.Append("conjunction(").Append(Id).Append(',').Append(Clause).Append('/').Append(ClauseCount).Append(')');
}
