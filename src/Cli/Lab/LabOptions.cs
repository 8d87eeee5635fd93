namespace Datapath.Cli.Lab;

/// <summary>
/// The options of `datapath lab up|down`: where the lab keeps its files, the names' prefix, the nodes' underlay
/// addresses (one per node, in the scenario's order; null: 127.0.0.11, .12, ...), which scenario (an embedded lab by
/// name, or a directory), and whether kube-system's pods get namespaces too.
/// </summary>
internal sealed record LabOptions(string Directory, string Prefix, IReadOnlyList<string>? Underlay, bool StaticGatewayArp, int Workers = 1,
    Live.MetricsEndpoint? Metrics = null, string? Lab = null, string? Scenario = null, bool SystemPods = false);
