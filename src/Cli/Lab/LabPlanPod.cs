using Datapath.Antrea;

namespace Datapath.Cli.Lab;

/// <summary>A pod `lab up` builds: its scenario entry and node, namespace, TAP and HTTP server ports (none: no server).</summary>
internal sealed record LabPlanPod(PodModel Model, NodeModel Node, string Namespace, string Tap, IReadOnlyList<int> ServerPorts)
{
    public string Name => Model.Pod[(Model.Pod.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
