namespace Datapath.Netfilter.Matches;

/// <summary><c>-m comment --comment TEXT</c>: always matches (the engine leaves it out of the match list).</summary>
public sealed class CommentMatch(string text) : XtMatch
{
    public override string Name => "comment";

    public string Text { get; } = text;

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine) => true;
}
