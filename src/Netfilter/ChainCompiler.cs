using System.Collections.Frozen;

namespace Datapath.Netfilter;

/// <summary>
/// Splits a committed chain into dispatch segments: maximal runs of at least <see cref="MinIndexedRun"/>
/// consecutive rules that each require one exact (destination /32, protocol, destination port) get a hash map
/// from that triple to the rules that ask for it, in chain order. Any other rule is scanned and splits the
/// run, so first-match order is kept exactly: within a segment only rules whose triple equals the packet's
/// can match, and they are tried in their original order.
/// </summary>
internal static class ChainCompiler
{
    public const int MinIndexedRun = 8;

    public static void Compile(Chain chain)
    {
        var rules = chain.RuleArray;
        var segmentOf = new int[rules.Length];
        Array.Fill(segmentOf, -1);
        var segments = new List<DispatchSegment>();
        int i = 0;
        while (i < rules.Length)
        {
            if (!rules[i].TryGetIndexKey(out _))
            {
                i++;
                continue;
            }
            int start = i;
            while (i < rules.Length && rules[i].TryGetIndexKey(out _))
                i++;
            if (i - start < MinIndexedRun)
                continue;
            var map = new Dictionary<ulong, List<int>>();
            for (int r = start; r < i; r++)
            {
                rules[r].TryGetIndexKey(out ulong key);
                if (!map.TryGetValue(key, out var list))
                {
                    list = [];
                    map.Add(key, list);
                }
                list.Add(r);
                segmentOf[r] = segments.Count;
            }
            segments.Add(new DispatchSegment(start, i, map.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray())));
        }
        chain.SegmentOf = segmentOf;
        chain.Segments = [.. segments];
    }

    /// <summary>Drops a chain's dispatch segments so every rule is scanned (the reference the tests compare with).</summary>
    internal static void Linearize(Chain chain)
    {
        chain.SegmentOf = new int[chain.RuleArray.Length];
        Array.Fill(chain.SegmentOf, -1);
        chain.Segments = [];
    }
}
