namespace Datapath.Netfilter;

/// <summary>
/// A run [Start, End) of consecutive rules of a chain (slots of its <see cref="CompiledTable"/>) that each require
/// one exact (destination, protocol, destination port): Index sends a packet's key to the slots of the rules that
/// may match it, ascending.
/// </summary>
internal sealed class DispatchSegment(int start, int end, DispatchIndex index)
{
    public readonly int Start = start;
    public readonly int End = end;
    public readonly DispatchIndex Index = index;
}
