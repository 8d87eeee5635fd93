using System.Globalization;
using System.Text;

namespace Datapath.Engine;

// Meter
// =====
//
// What?
// -----
// One OpenFlow meter of a bridge (ovs-ofctl add-meter; the `meter:N` action): drop bands in kbps or pktps, each a
// token bucket, run on every packet the action meters, as OVS's userspace datapath runs them
// (lib/dpif-netdev.c, dp_netdev_run_meter, with a batch of one packet).
//
// Design
// ------
// The arithmetic is dpif-netdev's: at creation each bucket is full (burst x 1000: bits for kbps, thousandths of a
// packet for pktps); a packet first adds delta_t x rate to every bucket (delta_t: whole milliseconds since the
// meter was last used, at most max_delta_t, the time that fills the largest bucket; a packet earlier than the
// last is delta 0), capped at the bucket size, then takes its volume (bits = bytes x 8, or 1000) from each band
// whose bucket holds it. A band whose bucket cannot pay is exceeded; of the exceeded bands the one with the
// highest rate counts the packet (its packet_count and byte_count) and the packet is dropped. The meter counts
// every packet offered (packet_in_count, byte_in_count). Time is the packet's: the frames' timestamps in a
// replay, the wall clock live. Not yet used, a meter pays its first packet from full buckets (OVS's `used` is
// its creation time, and any gap beyond max_delta_t fills the buckets).
//
// Invariants
// ----------
//  - 0 <= bucket <= EffectiveBurst x 1000 for every band.
//  - packet_in_count = passed + sum of the bands' packet_count.
//
// Thread-safety
// -------------
// Run takes the meter's lock (one per meter, as OVS's meter->lock); counters are read without it.
public sealed class Meter
{
    private readonly Lock _lock = new();
    private long _usedMs = Classifier.FlowRule.Never;
    private long _packets;
    private long _bytes;

    public Meter(uint id, MeterFlags flags, IReadOnlyList<MeterBand> bands)
    {
        ArgumentNullException.ThrowIfNull(bands);
        Id = id;
        Flags = flags;
        Bands = bands;
        foreach (var b in bands)
        {
            b.Bucket = b.EffectiveBurst * 1000UL;
            MaxDeltaMs = Math.Max(MaxDeltaMs, (uint)(b.Bucket / Math.Max(1u, b.Rate)));
        }
    }

    public uint Id { get; }
    public MeterFlags Flags { get; }
    public IReadOnlyList<MeterBand> Bands { get; }
    /// <summary>dpif-netdev's max_delta_t: the milliseconds that fill the largest bucket from empty.</summary>
    public uint MaxDeltaMs { get; }
    /// <summary>When the meter was made (ms on the bridge's clock; <see cref="Classifier.FlowRule.Never"/>: since the start), for meter-stats' duration.</summary>
    public long CreatedMs { get; init; } = Classifier.FlowRule.Never;

    public long PacketInCount => Interlocked.Read(ref _packets);
    public long ByteInCount => Interlocked.Read(ref _bytes);

    /// <summary>Meters one packet of <paramref name="bytes"/> bytes at <paramref name="nowMs"/>; false: a band drops it.</summary>
    public bool Run(int bytes, long nowMs)
    {
        lock (_lock)
        {
            long delta = _usedMs == Classifier.FlowRule.Never ? MaxDeltaMs : Math.Max(0, nowMs - _usedMs);
            uint deltaMs = delta > MaxDeltaMs ? MaxDeltaMs : (uint)delta;
            _usedMs = nowMs;
            _packets++;
            _bytes += bytes;
            ulong volume = (Flags & MeterFlags.Pktps) != 0 ? 1000UL : (ulong)bytes * 8;
            MeterBand? exceeded = null;
            foreach (var band in Bands)
            {
                ulong max = band.EffectiveBurst * 1000UL;
                band.Bucket = Math.Min(max, band.Bucket + (ulong)deltaMs * band.Rate);
                if (band.Bucket >= volume)
                    band.Bucket -= volume;
                else
                {
                    if ((Flags & MeterFlags.Pktps) != 0)
                        band.Bucket %= 1000;
                    if (exceeded is null || band.Rate > exceeded.Rate)
                        exceeded = band;
                }
            }
            if (exceeded is null)
                return true;
            exceeded.Packets++;
            exceeded.Bytes += bytes;
            return false;
        }
    }

    /// <summary>The meter as <c>ovs-ofctl -O OpenFlow13 dump-meters</c> prints it: <c>meter=N kbps burst stats bands=</c> and a line per band.</summary>
    public IEnumerable<string> Format()
    {
        var sb = new StringBuilder("meter=").Append(Id.ToString(CultureInfo.InvariantCulture));
        if ((Flags & MeterFlags.Kbps) != 0)
            sb.Append(" kbps");
        if ((Flags & MeterFlags.Pktps) != 0)
            sb.Append(" pktps");
        if ((Flags & MeterFlags.Burst) != 0)
            sb.Append(" burst");
        if ((Flags & MeterFlags.Stats) != 0)
            sb.Append(" stats");
        sb.Append(" bands=");
        yield return sb.ToString();
        foreach (var b in Bands)
            yield return b.Format();
    }

    /// <summary>
    /// The meter's statistics as <c>ovs-ofctl -O OpenFlow13 meter-stats</c> prints them: <c>meter:N flow_count:F
    /// packet_in_count:P byte_in_count:B duration:Ds bands:</c> and <c>i: packet_count:P byte_count:B</c> per band.
    /// </summary>
    public IEnumerable<string> FormatStats(int flowCount, long startMs, long nowMs)
    {
        long created = CreatedMs == Classifier.FlowRule.Never ? startMs : CreatedMs;
        long ms = Math.Max(0, nowMs - created);
        yield return string.Create(CultureInfo.InvariantCulture,
            $"meter:{Id} flow_count:{flowCount} packet_in_count:{PacketInCount} byte_in_count:{ByteInCount} duration:{ms / 1000}.{ms % 1000:000}s bands:");
        for (int i = 0; i < Bands.Count; i++)
            yield return string.Create(CultureInfo.InvariantCulture, $"{i}: packet_count:{Bands[i].PacketCount} byte_count:{Bands[i].ByteCount}");
    }
}
