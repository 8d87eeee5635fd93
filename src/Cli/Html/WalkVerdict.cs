namespace Datapath.Cli.Html;

/// <summary>
/// How a walk ends on a node: an output on a port, a drop, or a delivery to the host's own stack. Kind is
/// "output", "drop" or "delivered" (the verdict's class and data-kind); Label is drawn, Detail shown on hover.
/// </summary>
internal sealed record WalkVerdict(string Kind, string Node, string Label, string Detail, int? Table, string? Port);
