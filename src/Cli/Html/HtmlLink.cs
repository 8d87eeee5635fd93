namespace Datapath.Cli.Html;

/// <summary>A link in a page's navigation bar (demo pages link their index and neighbours).</summary>
internal sealed record HtmlLink(string Href, string Text);
