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
        _source = KeyBits.For(source);
        _destination = KeyBits.For(destination);
        _compiled = _source.IsSet && _destination.IsSet;
    }

    // Compiled at load (KeyBits): a load, a shift and a masked store when both fields are one integer.
    private readonly KeyBits _source;
    private readonly KeyBits _destination;
    private readonly bool _compiled;

    public FieldRef Source { get; }
    public FieldRef Destination { get; }

    public void Execute(ref FlowKey key)
    {
        if (_compiled)
            _destination.Write(ref key, _source.Read(in key));
        else
            Destination.Write(ref key, Source.Read(in key));
    }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        sb.Append("move:");
        Source.Format(sb);
        sb.Append("->");
        Destination.Format(sb);
    }
}
