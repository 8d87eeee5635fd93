using Datapath.Netfilter.Matches;

namespace Datapath.Netfilter;

/// <summary>
/// Compiles a committed table into its <see cref="CompiledTable"/> (see the design comment there): lays the chains
/// out depth-first from the built-in chains, folds each rule into a <see cref="CompiledRule"/>, and splits each
/// chain into dispatch segments: maximal runs of at least <see cref="MinIndexedRun"/> consecutive rules that each
/// require one exact (destination /32, protocol, destination port) get a hash index from that triple to the rules
/// that ask for it, in chain order. Any other rule is scanned and splits the run, so first-match order is kept
/// exactly: within a segment only rules whose triple equals the packet's can match, and they are tried in their
/// original order.
/// </summary>
internal static class ChainCompiler
{
    public const int MinIndexedRun = 8;

    public static void CompileTable(NetfilterTable table)
    {
        var order = LayOut(table);
        int total = 0;
        foreach (var c in order)
            total += c.RuleArray.Length;
        var rules = new CompiledRule[total];
        var objects = new Rule[total];
        var segments = new List<DispatchSegment>();
        int slot = 0;
        for (int ci = 0; ci < order.Length; ci++)
        {
            var chain = order[ci];
            chain.Index = ci;
            chain.First = slot;
            foreach (var r in chain.RuleArray)
            {
                objects[slot] = r;
                r.Slot = slot;
                slot++;
            }
            chain.End = slot;
        }
        foreach (var chain in order)
            chain.BlockEnd = chain.BlockEndIndex < order.Length ? order[chain.BlockEndIndex].First : total;
        for (int s = 0; s < total; s++)
            Fold(objects[s], ref rules[s]);
        foreach (var chain in order)
            Segment(chain, rules, segments);
        var program = new CompiledTable(rules, objects, order, [.. segments]);
        foreach (var r in objects)
            r.Program = program;
        foreach (var c in order)
            c.Program = program;
        table.Program = program;
    }

    /// <summary>Chains in depth-first order of first reference from the built-in chains, then the unreferenced ones.</summary>
    private static Chain[] LayOut(NetfilterTable table)
    {
        var placed = new HashSet<Chain>();
        var order = new List<Chain>(table.Chains.Count);
        var stack = new Stack<(Chain Chain, int Next)>();
        foreach (var root in table.Chains.Where(c => c.IsBuiltin).Concat(table.Chains.Where(c => !c.IsBuiltin)))
        {
            if (!placed.Add(root))
                continue;
            order.Add(root);
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (c, next) = stack.Pop();
                var rules = c.RuleArray;
                while (next < rules.Length && (rules[next].Target.Chain is not { } t || placed.Contains(t)))
                    next++;
                if (next == rules.Length)
                {
                    c.BlockEndIndex = order.Count; // every chain placed under c has been placed
                    continue;
                }
                var child = rules[next].Target.Chain!;
                stack.Push((c, next + 1));
                placed.Add(child);
                order.Add(child);
                stack.Push((child, 0));
            }
        }
        return [.. order];
    }

    private static void Fold(Rule r, ref CompiledRule c)
    {
        var f = CompiledRuleFlags.None;
        c.Source = r.Source;
        c.SourceMask = r.SourceMask;
        if (r.SourceInvert)
            f |= CompiledRuleFlags.SourceInvert;
        c.Destination = r.Destination;
        c.DestinationMask = r.DestinationMask;
        if (r.DestinationInvert)
            f |= CompiledRuleFlags.DestinationInvert;
        c.Protocol = r.Protocol;
        if (r.ProtocolInvert)
            f |= CompiledRuleFlags.ProtocolInvert;
        if (r.InInterface.IsSet || r.OutInterface.IsSet)
            f |= CompiledRuleFlags.Interfaces;
        if (r.Fragment == 1)
            f |= CompiledRuleFlags.FragmentLater;
        else if (r.Fragment == 2)
            f |= CompiledRuleFlags.FragmentHead;
        c.Segment = -1;

        // Fold a prefix of the match list: pure tcp/udp and mark matches (at most one each), then one random statistic.
        var matches = r.Matches;
        int m = 0;
        for (; m < matches.Length; m++)
        {
            if (matches[m] is TcpUdpMatch tu && (f & CompiledRuleFlags.Ports) == 0)
            {
                f |= CompiledRuleFlags.Ports;
                c.SourcePortMin = tu.SourcePorts.Min;
                c.SourcePortMax = tu.SourcePorts.Max;
                c.DestinationPortMin = tu.DestinationPorts.Min;
                c.DestinationPortMax = tu.DestinationPorts.Max;
                if (tu.SourceInvert)
                    f |= CompiledRuleFlags.SourcePortInvert;
                if (tu.DestinationInvert)
                    f |= CompiledRuleFlags.DestinationPortInvert;
                c.TcpFlagMask = tu.FlagMask;
                c.TcpFlagCompare = tu.FlagCompare;
                if (tu.FlagInvert)
                    f |= CompiledRuleFlags.TcpFlagInvert;
            }
            else if (matches[m] is MarkMatch mk && (f & CompiledRuleFlags.Mark) == 0)
            {
                f |= CompiledRuleFlags.Mark;
                c.MarkMatchValue = mk.Value;
                c.MarkMatchMask = mk.Mask;
                if (mk.Invert)
                    f |= CompiledRuleFlags.MarkInvert;
            }
            else
            {
                break;
            }
        }
        if (m < matches.Length && matches[m] is StatisticMatch { IsRandom: true } st)
        {
            f |= CompiledRuleFlags.Random;
            c.Probability = st.Probability;
            if (st.Invert)
                f |= CompiledRuleFlags.RandomInvert;
            m++;
        }
        r.SlowMatches = matches[m..];
        if (r.SlowMatches.Length > 0)
            f |= CompiledRuleFlags.SlowMatches;
        c.Flags = f;

        var target = r.Target;
        c.Kind = target.Kind;
        c.RejectWith = target.RejectWith;
        // The target's arguments overlay one another: write only the kind's own.
        if (target.Chain is { } jump)
        {
            c.JumpFirst = jump.First;
            c.JumpEnd = jump.End;
            c.JumpBlockEnd = jump.BlockEnd;
        }
        else if (target.Kind == TargetKind.Mark)
        {
            c.MarkValue = target.MarkValue;
            c.MarkMask = target.MarkMask;
        }
        else if (target.Kind is TargetKind.Dnat or TargetKind.Snat or TargetKind.Masquerade)
        {
            c.Nat = target.NatRange;
        }
        c.Packets = r.InitialPackets;
        c.Bytes = r.InitialBytes;
    }

    private static void Segment(Chain chain, CompiledRule[] compiled, List<DispatchSegment> all)
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
            var groups = new Dictionary<ulong, List<int>>();
            var keys = new List<(ulong, List<int>)>();
            for (int r = start; r < i; r++)
            {
                rules[r].TryGetIndexKey(out ulong key);
                if (!groups.TryGetValue(key, out var list))
                {
                    list = [];
                    groups.Add(key, list);
                    keys.Add((key, list));
                }
                list.Add(chain.First + r);
                segmentOf[r] = segments.Count;
                compiled[chain.First + r].Segment = all.Count;
            }
            var segment = new DispatchSegment(chain.First + start, chain.First + i, new DispatchIndex(keys, compiled));
            segments.Add(segment);
            all.Add(segment);
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
        if (chain.Program is { } p)
        {
            for (int s = chain.First; s < chain.End; s++)
                p.Rules[s].Segment = -1;
        }
    }
}
