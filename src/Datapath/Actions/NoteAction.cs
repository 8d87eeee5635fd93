using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary><c>note:HEX</c>: does nothing; the bytes are kept for dump-flows.</summary>
public sealed class NoteAction : FlowAction
{
    public NoteAction(byte[] data, string text) : base(ActionKind.Note)
    {
        Data = data;
        Text = text;
    }

    public IReadOnlyList<byte> Data { get; }
    /// <summary>The hex as written.</summary>
    public string Text { get; }

    public override void Format(StringBuilder sb, IPortMap? ports) => sb.Append("note:").Append(Text);
}
