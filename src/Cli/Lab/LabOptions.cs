namespace Datapath.Cli.Lab;

/// <summary>The options of `datapath lab up|down`.</summary>
internal sealed record LabOptions(string Directory, string Prefix, string Underlay1, string Underlay2, bool StaticGatewayArp, int Workers = 1, Live.MetricsEndpoint? Metrics = null);
