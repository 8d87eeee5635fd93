namespace Datapath.Engine;

/// <summary>A meter's flags (OpenFlow 1.3's OFPMF13_*), as <c>ovs-ofctl add-meter</c> names them.</summary>
[Flags]
public enum MeterFlags
{
    None = 0,
    /// <summary>Rates and bursts in kilobits per second / kilobits.</summary>
    Kbps = 1,
    /// <summary>Rates and bursts in packets per second / packets.</summary>
    Pktps = 2,
    /// <summary>The bands give burst_size (else the burst is the rate).</summary>
    Burst = 4,
    /// <summary>Collect statistics (always collected here; the flag is kept and printed).</summary>
    Stats = 8,
}
