using System.Collections.Frozen;

namespace Datapath.Netfilter;

/// <summary>
/// A run [Start, End) of consecutive rules of a chain that each require one exact (destination, protocol,
/// destination port): Map sends a packet's key to the indices of the rules that may match it, ascending.
/// </summary>
internal sealed class DispatchSegment(int start, int end, FrozenDictionary<ulong, int[]> map)
{
    public readonly int Start = start;
    public readonly int End = end;
    public readonly FrozenDictionary<ulong, int[]> Map = map;
}
