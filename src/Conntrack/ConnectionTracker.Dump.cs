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
                var tcp = c.GetTcpState();
                bool seenReply = SeenReply(c);
                // IPS_ASSURED: TCP once the handshake completed (kept through the close); UDP streams get it
                // after two seconds of two-way traffic, which the tracker does not time, so they show without it.
                bool assured = tcp is TcpState.Established or TcpState.FinWait or TcpState.CloseWait or TcpState.LastAck or TcpState.TimeWait;
                list.Add(new CtEntry(CtTuple.FromKey(c.Orig), CtTuple.FromKey(c.Reply), c.Zone, c.Mark, c.Label,
                    tcp, Volatile.Read(ref c.ExpirationMs), seenReply, assured));
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

    /// <summary>The lines of <c>conntrack -L</c> (conntrack-tools 1.4.7) at <paramref name="nowMs"/>, expired
    /// connections left out, sorted as <see cref="Entries"/> sorts them (the kernel lists in hash order).</summary>
    public IEnumerable<string> ListConntrack(long nowMs) => Entries(null, nowMs).Select(e => e.ConntrackToolsLine(nowMs));

    /// <summary>What conntrack -L writes on stderr after the entries.</summary>
    public static string ConntrackToolsSummary(int count)
        => $"conntrack v1.4.7 (conntrack-tools): {count} flow entries have been shown.";

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
