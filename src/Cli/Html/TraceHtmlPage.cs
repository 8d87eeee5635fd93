using Datapath.Engine;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Html;

/// <summary>What one walk page shows: a title, a line on the packet, the trace and the cluster it walked.</summary>
internal sealed record TraceHtmlPage(string Title, string? Description, Trace Trace, Cluster Cluster)
{
    public IReadOnlyList<HtmlLink> Links { get; init; } = [];
}
