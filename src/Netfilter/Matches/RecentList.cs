namespace Datapath.Netfilter.Matches;

/// <summary>
/// One xt_recent list: address → the last <see cref="MaxStamps"/> times it was seen (ip_pkt_list_tot = 20).
/// Thread-safety: a lock per list (recent rules are few and the kernel also locks per table).
/// </summary>
public sealed class RecentList
{
    public const int MaxStamps = 20;
    private readonly Dictionary<uint, List<long>> _entries = [];
    private readonly Lock _lock = new();

    internal RecentList(string name) => Name = name;

    public string Name { get; }

    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    public bool Contains(uint address)
    {
        lock (_lock)
            return _entries.ContainsKey(address);
    }

    internal bool Evaluate(uint address, RecentMatch.Command command, uint seconds, uint hitCount, bool reap, long nowMs)
    {
        lock (_lock)
        {
            bool found = _entries.TryGetValue(address, out var stamps);
            if (!found)
            {
                if (command != RecentMatch.Command.Set)
                    return false;
                _entries[address] = [nowMs];
                return true;
            }
            bool hit;
            switch (command)
            {
                case RecentMatch.Command.Set:
                    hit = true;
                    break;
                case RecentMatch.Command.Remove:
                    _entries.Remove(address);
                    return true;
                default:
                    long since = nowMs - (long)seconds * 1000;
                    uint hits = 0;
                    hit = false;
                    foreach (long t in stamps!)
                    {
                        if (seconds != 0 && t < since)
                            continue;
                        if (hitCount == 0 || ++hits >= hitCount)
                        {
                            hit = true;
                            break;
                        }
                    }
                    if (reap && seconds != 0)
                        ReapUnsynchronized(since, address);
                    break;
            }
            if (command == RecentMatch.Command.Set || (command == RecentMatch.Command.Update && hit))
            {
                if (!_entries.TryGetValue(address, out stamps))
                {
                    stamps = [];
                    _entries[address] = stamps;
                }
                if (stamps.Count == MaxStamps)
                    stamps.RemoveAt(0);
                stamps.Add(nowMs);
            }
            return hit;
        }
    }

    private void ReapUnsynchronized(long since, uint keep)
    {
        List<uint>? stale = null;
        foreach (var (a, stamps) in _entries)
        {
            if (a != keep && stamps[^1] < since)
                (stale ??= []).Add(a);
        }
        if (stale is not null)
        {
            foreach (var a in stale)
                _entries.Remove(a);
        }
    }
}
