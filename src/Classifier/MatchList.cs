using System.Runtime.CompilerServices;

namespace Datapath.Classifier;

/// <summary>
/// The rules of one subtable that have the identical match (same mask, same masked value), highest
/// priority first and, within a priority, earliest inserted first.  OVS keeps the same list
/// (cls_match's "list" of rules with identical matches).
/// </summary>
/// <remarks>Rules is replaced, never mutated, once published (readers may hold the old array).</remarks>
internal sealed class MatchList
{
    public MatchList(ulong[] values, ulong hash)
    {
        Values = values;
        Hash = hash;
        _rules = [];
    }

    /// <summary>The masked value at the subtable's word indices.</summary>
    public ulong[] Values { get; }

    public ulong Hash { get; }

    /// <summary>Where the subtable's current table keeps this list's values and head (writer side).</summary>
    public int Index { get; set; }

    private FlowRule[] _rules;

    public FlowRule[] Rules
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _rules);
        set => Volatile.Write(ref _rules, value);
    }

    /// <summary>The first rule visible in <paramref name="version"/> (the head OVS's find_match returns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowRule? FirstVisible(long version)
    {
        foreach (FlowRule r in Rules)
        {
            if (r.IsVisibleIn(version))
                return r;
        }
        return null;
    }

    /// <summary>The next visible rule after <paramref name="rule"/> (lower priority, identical match).</summary>
    public FlowRule? NextVisibleAfter(FlowRule rule, long version)
    {
        FlowRule[] rules = Rules;
        int i = Array.IndexOf(rules, rule);
        if (i < 0)
            return null;
        for (i++; i < rules.Length; i++)
        {
            if (rules[i].IsVisibleIn(version))
                return rules[i];
        }
        return null;
    }

    public void Add(FlowRule rule)
    {
        FlowRule[] old = Rules;
        var next = new FlowRule[old.Length + 1];
        int at = 0;
        while (at < old.Length && (old[at].Priority > rule.Priority
            || (old[at].Priority == rule.Priority && old[at].Sequence <= rule.Sequence)))
        {
            at++;
        }
        Array.Copy(old, next, at);
        next[at] = rule;
        Array.Copy(old, at, next, at + 1, old.Length - at);
        Rules = next;
    }

    public bool Remove(FlowRule rule)
    {
        FlowRule[] old = Rules;
        int i = Array.IndexOf(old, rule);
        if (i < 0)
            return false;
        var next = new FlowRule[old.Length - 1];
        Array.Copy(old, next, i);
        Array.Copy(old, i + 1, next, i, old.Length - i - 1);
        Rules = next;
        return true;
    }
}
