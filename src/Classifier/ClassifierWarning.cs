namespace Datapath.Classifier;

/// <summary>A problem found while loading flows that OVS would accept silently (e.g. overlapping conjunctive flows).</summary>
public sealed record ClassifierWarning(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: warning: {Message}";
}
