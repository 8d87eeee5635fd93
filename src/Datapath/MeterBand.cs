using System.Globalization;

namespace Datapath.Engine;

/// <summary>
/// One drop band of a <see cref="Meter"/> (the only band type OVS's userspace datapath runs): its rate (kbps or
/// pktps), its burst and its token bucket (bits, or 1/1000 packets), and how many packets and bytes it dropped.
/// Mutated only under its meter's lock.
/// </summary>
public sealed class MeterBand
{
    public MeterBand(uint rate, uint burstSize)
    {
        Rate = rate;
        BurstSize = burstSize;
    }

    /// <summary>kbps, or packets per second.</summary>
    public uint Rate { get; }
    /// <summary>As configured (0: none given); the bucket holds <see cref="EffectiveBurst"/> x 1000.</summary>
    public uint BurstSize { get; }
    /// <summary>dpif_netdev_meter_set: a band without a burst size gets its rate.</summary>
    public uint EffectiveBurst => BurstSize == 0 ? Rate : BurstSize;

    internal ulong Bucket;
    internal long Packets;
    internal long Bytes;

    public long PacketCount => Interlocked.Read(ref Packets);
    public long ByteCount => Interlocked.Read(ref Bytes);

    /// <summary><c>type=drop rate=R[ burst_size=B]</c>, as ovs-ofctl dump-meters prints a band.</summary>
    public string Format()
        => "type=drop rate=" + Rate.ToString(CultureInfo.InvariantCulture)
            + (BurstSize != 0 ? " burst_size=" + BurstSize.ToString(CultureInfo.InvariantCulture) : "");
}
