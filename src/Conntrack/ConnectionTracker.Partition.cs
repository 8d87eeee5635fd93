using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>
/// Read-only probes for spreading packets over worker threads (Datapath.Engine's JourneyPartitioner): which
/// connection a packet belongs to, and where NAT took it. They take no lock and change nothing.
/// </summary>
public sealed partial class ConnectionTracker
{
    /// <summary>
    /// The packet's tuple as conntrack keys it (ICMP queries by identifier and type). False for what is not a
    /// connection of its own: not IP, a later fragment, a truncated or malformed header, an ICMP error (it is
    /// related to another connection).
    /// </summary>
    public static bool TryGetTuple(in FlowKey key, ReadOnlySpan<byte> frame, out CtTuple tuple)
    {
        if (ConnKeyExtractor.TryExtract(key, frame, 0, out var ck, out bool related) != ExtractFailure.None || related)
        {
            tuple = default;
            return false;
        }
        tuple = CtTuple.FromKey(in ck);
        return true;
    }

    /// <summary>Adds to <paramref name="zones"/> every zone that holds at least one connection now.</summary>
    public void CollectZones(List<ushort> zones)
    {
        ArgumentNullException.ThrowIfNull(zones);
        if (Count == 0)
            return;
        for (int z = 0; z < ZoneCount; z++)
        {
            if (Volatile.Read(ref _zoneCounts[z]) != 0)
                zones.Add((ushort)z);
        }
    }

    /// <summary>
    /// Whether a live (unexpired) connection of <paramref name="zone"/> has <paramref name="tuple"/> as its
    /// original or its reply direction, or as the reverse of one (a packet of the connection after its NAT,
    /// as the next hop sees it); if so, <paramref name="translated"/> is its original direction after NAT (the
    /// reply tuple reversed): the same for every direction and NAT stage of one connection; <paramref name="expiresMs"/>
    /// is when that connection expires as it stands now: it stays live at least until then unless
    /// <see cref="LivenessGeneration"/> moves.
    /// </summary>
    public bool TryFindLive(in CtTuple tuple, ushort zone, long nowMs, out CtTuple translated, out long expiresMs)
    {
        var ck = tuple.ToKey(zone);
        var conn = FindLive(ck, _table.Hash(ck), nowMs, out _);
        if (conn is null)
        {
            var reverse = ck.Reverse();
            conn = FindLive(reverse, _table.Hash(reverse), nowMs, out _);
        }
        if (conn is null || conn.IsRemoved)
        {
            translated = default;
            expiresMs = 0;
            return false;
        }
        translated = CtTuple.FromKey(conn.Reply.Reverse());
        expiresMs = Volatile.Read(ref conn.ExpirationMs);
        return true;
    }

    /// <summary>
    /// Changes whenever a connection leaves the table (expiry, removal, flush) or a connection's expiry moves
    /// earlier: while it stands still, a connection found live stays live until the expiry it had when found.
    /// Written on those events only, so reading it per packet costs no cache-line transfer between threads.
    /// </summary>
    public long LivenessGeneration => Volatile.Read(ref _livenessGeneration);

    /// <summary>
    /// The state of the random source NAT draws from (<c>random</c> port selection): it changes exactly when a
    /// NAT drew from it. Workers compare it before and after a parallel run to find order-dependent choices.
    /// </summary>
    public ulong NatRandomState => Volatile.Read(ref _rng);
}
