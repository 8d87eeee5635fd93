using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// The judge for the property tests: OVS's lookup semantics (ovs-fields(7) "Conjunctive Match
/// Fields", classifier_lookup__) over a plain list of rules, with no subtables, hashing, priority
/// bounds or versions.  Rules with the identical match form one list (highest priority first,
/// then earliest added), whose first rule is the only one the first pass sees, as in OVS.
/// </summary>
internal sealed class NaiveClassifier
{
    private readonly List<(FlowRule Rule, long Seq)> _rules = [];
    private readonly Dictionary<FlowRule, long> _seqOf = [];
    private List<List<FlowRule>>? _groups;
    private long _seq;

    public void Add(FlowRule rule)
    {
        int i = _rules.FindIndex(r => r.Rule.Priority == rule.Priority && r.Rule.Match.Equals(rule.Match));
        if (i >= 0)
        {
            _seqOf.Remove(_rules[i].Rule);
            _rules[i] = (rule, _rules[i].Seq);
        }
        else
        {
            _rules.Add((rule, _seq++));
        }
        _seqOf[rule] = _rules.First(r => r.Rule == rule).Seq;
        _groups = null;
    }

    public void Remove(FlowRule rule)
    {
        _rules.RemoveAll(r => r.Rule == rule);
        _seqOf.Remove(rule);
        _groups = null;
    }

    private long SeqOf(FlowRule r) => _seqOf[r];

    /// <summary>Identical-match lists, each highest priority first, then earliest added.</summary>
    private List<List<FlowRule>> Groups => _groups ??= [.. _rules.GroupBy(r => r.Rule.Match)
        .Select(g => g.OrderByDescending(r => r.Rule.Priority).ThenBy(r => r.Seq).Select(r => r.Rule).ToList())];

    private List<FlowRule> ListOf(Match m) => Groups.First(g => g[0].Match.Equals(m));

    private bool Better(FlowRule a, FlowRule? b) => b is null || a.Priority > b.Priority || (a.Priority == b.Priority && SeqOf(a) < SeqOf(b));

    public FlowRule? Lookup(in FlowKey key, bool allowConjunctive = true)
    {
        FlowRule? hard = null;
        var soft = new List<FlowRule>();
        foreach (List<FlowRule> group in Groups)
        {
            FlowRule head = group[0];
            if (!head.Match.Matches(in key))
                continue;
            if (!head.IsConjunctive)
            {
                if (Better(head, hard))
                    hard = head;
            }
            else if (allowConjunctive)
            {
                soft.Add(head);
            }
        }
        int hardPri = hard?.Priority ?? -1;
        while (true)
        {
            soft.RemoveAll(s => s.Priority <= hardPri);
            if (soft.Count == 0)
                return hard;
            int softPri = soft.Max(s => s.Priority);
            List<FlowRule> top = [.. soft.Where(s => s.Priority == softPri).OrderBy(SeqOf)];
            var clauses = new Dictionary<uint, ulong>();
            var tried = new HashSet<uint>();
            foreach (FlowRule s in top)
            {
                foreach (Conjunction c in s.Conjunctions)
                {
                    if (c.ClauseCount > top.Count)
                        continue;
                    if (!clauses.TryGetValue(c.Id, out ulong bits))
                        bits = c.ClauseCount >= 64 ? 0 : ulong.MaxValue << c.ClauseCount;
                    bits |= 1UL << (c.Clause - 1);
                    clauses[c.Id] = bits;
                    if (bits == ulong.MaxValue)
                    {
                        if (tried.Add(c.Id))
                        {
                            FlowKey k2 = key;
                            k2.ConjId = c.Id;
                            FlowRule? r = Lookup(in k2, allowConjunctive: false);
                            if (r is not null)
                                return r;
                        }
                        break;
                    }
                }
            }
            soft.RemoveAll(s => s.Priority == softPri);
            foreach (FlowRule s in top)
            {
                List<FlowRule> list = ListOf(s.Match);
                FlowRule? next = list.SkipWhile(r => r != s).Skip(1).FirstOrDefault();
                if (next is null)
                    continue;
                if (next.IsConjunctive)
                {
                    soft.Add(next);
                }
                else if (Better(next, hard))
                {
                    hard = next;
                    hardPri = next.Priority;
                }
            }
        }
    }
}
