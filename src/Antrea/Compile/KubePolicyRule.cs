namespace Datapath.Antrea.Compile;

/// <summary>One rule: its peers (pod selectors; null: any peer) and ports (none: any).</summary>
public sealed record KubePolicyRule(List<Dictionary<string, string>>? Peers, List<(string Protocol, int Port)> Ports);
