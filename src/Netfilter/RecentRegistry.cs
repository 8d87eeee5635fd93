using Datapath.Netfilter.Matches;

namespace Datapath.Netfilter;

/// <summary>The named <c>-m recent</c> lists of a rule set (the kernel's /proc/net/xt_recent/).</summary>
public sealed class RecentRegistry
{
    private readonly Dictionary<string, RecentList> _lists = new(StringComparer.Ordinal);

    public RecentList GetOrAdd(string name)
    {
        lock (_lists)
        {
            if (!_lists.TryGetValue(name, out var list))
            {
                list = new RecentList(name);
                _lists.Add(name, list);
            }
            return list;
        }
    }

    public bool TryGet(string name, out RecentList? list)
    {
        lock (_lists)
            return _lists.TryGetValue(name, out list);
    }
}
