namespace Datapath.Netfilter.Matches;

/// <summary><c>-m mark [!] --mark value[/mask]</c> (xt_mark): (skb mark &amp; mask) == value.</summary>
public sealed class MarkMatch : XtMatch
{
    internal MarkMatch(uint value, uint mask, bool invert)
    {
        Value = value;
        Mask = mask;
        Invert = invert;
    }

    public override string Name => "mark";

    public uint Value { get; }

    public uint Mask { get; }

    public bool Invert { get; }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
        => ((packet.Key.PktMark & Mask) == Value) ^ Invert;
}
