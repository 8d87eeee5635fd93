namespace Datapath.Netfilter.Matches;

/// <summary>
/// <c>-m recent</c> (xt_recent), as kube-proxy uses it for sessionAffinity ClientIP:
/// <c>--name N --set</c> records the packet's source (<c>--rsource</c>, default) or destination (<c>--rdest</c>);
/// <c>--rcheck</c>/<c>--update</c> match when the address is in the list (seen within <c>--seconds</c>, at
/// least <c>--hitcount</c> times); <c>--update</c> also records; <c>--remove</c> deletes it; <c>--reap</c>
/// (with --seconds) purges the list of entries older than the window. Time is the packet's NowMs.
/// </summary>
public sealed class RecentMatch : XtMatch
{
    public enum Command
    {
        Set,
        Check,
        Update,
        Remove,
    }

    internal RecentMatch(RecentList list, Command command, bool invert, uint seconds, uint hitCount, bool reap, bool destination, uint mask)
    {
        List = list;
        Mode = command;
        Invert = invert;
        Seconds = seconds;
        HitCount = hitCount;
        Reap = reap;
        UseDestination = destination;
        Mask = mask;
    }

    public override string Name => "recent";

    public RecentList List { get; }

    public Command Mode { get; }

    public bool Invert { get; }

    public uint Seconds { get; }

    public uint HitCount { get; }

    public bool Reap { get; }

    public bool UseDestination { get; }

    public uint Mask { get; }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        uint address = (UseDestination ? packet.Key.NwDst : packet.Key.NwSrc) & Mask;
        return List.Evaluate(address, Mode, Seconds, HitCount, Reap, packet.NowMs) ^ Invert;
    }
}
