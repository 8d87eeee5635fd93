namespace Datapath.Conntrack;

// Dump and flush (ovs-appctl dpctl/dump-conntrack, dpctl/flush-conntrack).
public sealed partial class ConnectionTracker
{
    /// <summary>
    /// Snapshots of the connections (of one zone), sorted by zone and original tuple so dumps are
    /// reproducible. With <paramref name="nowMs"/>, connections expired at that time are left out.
    /// </summary>
    public IReadOnlyList<CtEntry> Entries(ushort? zone = null, long? nowMs = null)
    {
        // Copy the references under the writer lock (a resize must not show a connection twice),
        // format outside it.
        List<Connection> all;
        lock (_writeLock)
            all = [.. _table.All()];
        var list = new List<CtEntry>();
        foreach (var c in all)
        {
            if (c.IsRemoved || (zone is { } z && c.Zone != z) || (nowMs is { } now && c.IsExpired(now)))
                continue;
            using (c.Lock())
            {
                list.Add(new CtEntry(CtTuple.FromKey(c.Orig), CtTuple.FromKey(c.Reply), c.Zone, c.Mark, c.Label,
                    c.GetTcpState(), Volatile.Read(ref c.ExpirationMs)));
            }
        }
        list.Sort(static (a, b) =>
        {
            int d = a.Zone.CompareTo(b.Zone);
            if (d != 0)
                return d;
            d = a.Original.NwProto.CompareTo(b.Original.NwProto);
            if (d != 0)
                return d;
            d = a.Original.Src.CompareTo(b.Original.Src);
            if (d != 0)
                return d;
            d = a.Original.Dst.CompareTo(b.Original.Dst);
            if (d != 0)
                return d;
            d = a.Original.SrcPort.CompareTo(b.Original.SrcPort);
            return d != 0 ? d : a.Original.DstPort.CompareTo(b.Original.DstPort);
        });
        return list;
    }

    /// <summary>The lines of <c>ovs-appctl dpctl/dump-conntrack [zone=N]</c>.</summary>
    public IEnumerable<string> Dump(ushort? zone = null) => Entries(zone).Select(static e => e.ToString());

    /// <summary>The dump lines, leaving out connections expired at <paramref name="nowMs"/>.</summary>
    public IEnumerable<string> Dump(ushort? zone, long nowMs) => Entries(zone, nowMs).Select(static e => e.ToString());

    /// <summary>Removes every connection (dpctl/flush-conntrack). Returns how many.</summary>
    public int Flush() => FlushWhere(static _ => true);

    /// <summary>Removes the connections of one zone (dpctl/flush-conntrack zone=N).</summary>
    public int Flush(ushort zone) => FlushWhere(c => c.Zone == zone);

    /// <summary>Removes the connection of <paramref name="zone"/> whose original or reply tuple is
    /// <paramref name="tuple"/> (dpctl/flush-conntrack zone=N 'ct_nw_src=...,ct_tp_dst=...').</summary>
    public int Flush(ushort zone, in CtTuple tuple)
    {
        var key = tuple.ToKey(zone);
        return FlushWhere(c => c.Orig == key || c.Reply == key);
    }

    private int FlushWhere(Func<Connection, bool> predicate)
    {
        int n = 0;
        lock (_writeLock)
        {
            foreach (var c in _table.All().Where(predicate).ToList())
            {
                if (RemoveUnsynchronized(c, expired: false))
                    n++;
            }
        }
        return n;
    }
}
