namespace Datapath.Engine.Host;

/// <summary>
/// The neighbour subsystem's sysctls (net.ipv4.neigh.default.*), with Linux's defaults: how long a confirmation
/// lasts, how often and how many times ARP asks, how many bytes wait for an answer, when entries are collected.
/// Times in milliseconds.
/// </summary>
public sealed class NeighborParameters
{
    /// <summary>base_reachable_time_ms: an entry stays REACHABLE a random time in [base/2, 3·base/2) after a confirmation (the kernel draws it anew every 300 s).</summary>
    public long BaseReachableTimeMs { get; init; } = 30_000;

    /// <summary>retrans_time_ms: the interval between ARP requests for one neighbour.</summary>
    public long RetransTimeMs { get; init; } = 1_000;

    /// <summary>delay_first_probe_time: how long a used STALE entry waits (DELAY) before it is probed.</summary>
    public long DelayFirstProbeTimeMs { get; init; } = 5_000;

    /// <summary>mcast_solicit: broadcast requests for an unresolved neighbour before it is FAILED.</summary>
    public int McastSolicit { get; init; } = 3;

    /// <summary>ucast_solicit: unicast requests (to the known address) in PROBE before the entry is FAILED.</summary>
    public int UcastSolicit { get; init; } = 3;

    /// <summary>app_solicit: requests handed to a user-space daemon (none here: always 0 in effect, kept for the count of probes).</summary>
    public int AppSolicit { get; init; }

    /// <summary>
    /// unres_qlen_bytes: the bytes (skb truesize: the frame plus 576 bytes of sk_buff and skb_shared_info) that may wait
    /// for one unresolved neighbour; beyond, the oldest waiting frame is dropped (SKB_DROP_REASON_NEIGH_QUEUEFULL).
    /// 212992 is SK_WMEM_MAX on x86-64; it holds 101 full-size frames, the <c>unres_qlen</c> Linux reports.
    /// </summary>
    public int UnresQlenBytes { get; init; } = 212_992;

    /// <summary>locktime: an entry's address is not replaced by another ARP sender's within this time of its last update.</summary>
    public long LockTimeMs { get; init; } = 1_000;

    /// <summary>gc_stale_time: an unused entry older than this may be collected (only while the table holds more than <see cref="GcThresh1"/> entries).</summary>
    public long GcStaleTimeMs { get; init; } = 60_000;

    /// <summary>gc_thresh1: below this many entries the garbage collector leaves the table alone.</summary>
    public int GcThresh1 { get; init; } = 128;

    /// <summary>gc_thresh3: the most entries the table holds; a new one beyond forces a collection, and fails when that frees nothing.</summary>
    public int GcThresh3 { get; init; } = 1024;

    /// <summary>The kernel's skb truesize overhead counted per waiting frame: SKB_DATA_ALIGN(sizeof(struct sk_buff)) + SKB_DATA_ALIGN(sizeof(struct skb_shared_info)).</summary>
    public const int SkbOverhead = 256 + 320;
}
