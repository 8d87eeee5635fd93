using Datapath.Antrea;

namespace Datapath.Cli.Lab;

/// <summary>A node `lab up` runs: its scenario entry, underlay address, and (with a host stack) its namespace and TAP.</summary>
internal sealed record LabPlanNode(NodeModel Model, string Underlay, string? Namespace, string? Tap, IReadOnlyList<LabPlanPod> Pods);
