namespace Datapath.Classifier;

/// <summary>What a flow-mod or bundle did: the rules now visible that were not, and the rules no longer visible.</summary>
public sealed record FlowModResult(IReadOnlyList<FlowRule> Added, IReadOnlyList<FlowRule> Removed, IReadOnlyList<ClassifierWarning> Warnings);
