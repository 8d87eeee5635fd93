namespace Datapath.Engine.Tracing;

/// <summary>One action as run: its text and its effects (<c>reg0: 0 -> 0x2</c>, <c>output to 2(antrea-gw0)</c>).</summary>
public sealed class TraceAction
{
    public TraceAction(string text) => Text = text;

    public string Text { get; }
    public List<string> Effects { get; } = [];
}
