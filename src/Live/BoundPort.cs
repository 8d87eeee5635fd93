using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Io.Live;

namespace Datapath.Live;

/// <summary>
/// A live port bound to what it stands for on its node (<see cref="BoundPortKind"/>): a bridge port, a host device or the
/// host's own stack. Its queues (one per worker; queue 0 is <see cref="LivePort"/>, which owns the interface) and the loop
/// receiving from each (empty until started or once stopped). Exactly one of <see cref="BridgePort"/> and
/// <see cref="Device"/> is set for the first two kinds, neither for <see cref="BoundPortKind.Local"/>.
/// </summary>
internal sealed class BoundPort
{
    private int _faulted;

    public BoundPort(BridgePort bridgePort, IReadOnlyList<ILivePort> queues, LabPortBinding binding)
        : this(BoundPortKind.Bridge, bridgePort, null, queues, binding)
    {
    }

    public BoundPort(BoundPortKind kind, BridgePort? bridgePort, HostInterface? device, IReadOnlyList<ILivePort> queues, LabPortBinding binding)
    {
        System.Diagnostics.Debug.Assert((kind == BoundPortKind.Bridge) == (bridgePort is not null) && (kind == BoundPortKind.HostDevice) == (device is not null));
        Kind = kind;
        BridgePort = bridgePort;
        Device = device;
        Queues = queues;
        Binding = binding;
    }

    public BoundPortKind Kind { get; }

    /// <summary>The bridge port, for <see cref="BoundPortKind.Bridge"/>.</summary>
    public BridgePort? BridgePort { get; }

    /// <summary>The host device, for <see cref="BoundPortKind.HostDevice"/>.</summary>
    public HostInterface? Device { get; }

    /// <summary>The bridge port's or host device's name; <c>local</c> for the host's own stack.</summary>
    public string Name => BridgePort?.Name ?? Device?.Name ?? "local";

    /// <summary>The bridge port's ofport; 0 for the others.</summary>
    public uint OfPort => BridgePort?.OfPort ?? 0;

    /// <summary>This port's slot among its node's bound ports (transmit batches are kept by it).</summary>
    public int Slot { get; set; }

    /// <summary>Queue 0: the port that opened the interface (sends from outside a receive loop go here).</summary>
    public ILivePort LivePort => Queues[0];

    /// <summary>The queues, one per worker thread: extra TAP queues (IFF_MULTI_QUEUE) or sockets of one PACKET_FANOUT group.</summary>
    public IReadOnlyList<ILivePort> Queues { get; }

    public LabPortBinding Binding { get; }

    public List<LiveReceiveLoop> Loops { get; } = [];

    /// <summary>The queues' statistics summed.</summary>
    public LivePortStatistics Statistics
    {
        get
        {
            long rp = 0, rb = 0, rd = 0, rt = 0, tp = 0, tb = 0, td = 0, e = 0;
            foreach (var q in Queues)
            {
                var s = q.Statistics;
                rp += s.RxPackets; rb += s.RxBytes; rd += s.RxDropped; rt += s.RxTruncated;
                tp += s.TxPackets; tb += s.TxBytes; td += s.TxDropped; e += s.Errors;
            }
            return new LivePortStatistics(rp, rb, rd, rt, tp, tb, td, e);
        }
    }

    /// <summary>What the device dropped on receive plus what the bridge port refused (a bridge port's counters).</summary>
    public long RxDropped => Statistics.RxDropped + (BridgePort?.Counters.RxDropped ?? 0);

    /// <summary>True the first time any queue of the port reports a fault.</summary>
    public bool MarkFaulted() => Interlocked.Exchange(ref _faulted, 1) == 0;

    /// <summary>The first queue's fault, or null when every queue is up.</summary>
    public LivePortFaultEventArgs? Fault => Queues.Select(q => q.Fault).FirstOrDefault(f => f is not null);

    /// <summary>Closes the queues, the extra ones first (the first removes a TAP it created once the others are closed).</summary>
    public void DisposeQueues()
    {
        for (int i = Queues.Count - 1; i >= 0; i--)
            Queues[i].Dispose();
    }
}
