namespace Datapath.Classifier;

/// <summary>What one execution of a <c>learn</c> action did to its target table (<see cref="FlowTableSet.Learn"/>).</summary>
public enum LearnOutcome
{
    /// <summary>A new flow was added (replacing one with the same match and priority but other attributes).</summary>
    Added,
    /// <summary>The identical flow was there: only its hard timeout restarted (OVS's rule->modified).</summary>
    Refreshed,
    /// <summary>The learn's <c>limit</c> was reached: nothing was learned.</summary>
    LimitReached,
}
