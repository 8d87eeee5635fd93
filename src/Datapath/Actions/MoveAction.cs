using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary><c>move:SRC[a..b]->DST[c..d]</c>: copies bits between fields (both ranges have the same width).</summary>
public sealed class MoveAction : FlowAction
{
    public MoveAction(FieldRef source, FieldRef destination) : base(ActionKind.Move)
    {
        if (source.Count != destination.Count)
            throw new ArgumentException($"source has {source.Count} bits but destination has {destination.Count}", nameof(destination));
        Source = source;
        Destination = destination;
    }

    public FieldRef Source { get; }
    public FieldRef Destination { get; }

    public void Execute(ref FlowKey key) => Destination.Write(ref key, Source.Read(in key));

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        sb.Append("move:");
        Source.Format(sb);
        sb.Append("->");
        Destination.Format(sb);
    }
}
