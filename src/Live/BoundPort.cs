using Datapath.Engine;
using Datapath.Io.Live;

namespace Datapath.Live;

/// <summary>
/// A bridge port bound to a live port: its queues (one per worker; queue 0 is <see cref="LivePort"/>,
/// which owns the interface) and the loop receiving from each (empty until started or once stopped).
/// </summary>
internal sealed class BoundPort(BridgePort bridgePort, IReadOnlyList<ILivePort> queues, LabPortBinding binding)
{
    public BridgePort BridgePort { get; } = bridgePort;

    /// <summary>Queue 0: the port that opened the interface (sends from outside a receive loop go here).</summary>
    public ILivePort LivePort => Queues[0];

    /// <summary>The queues, one per worker thread: extra TAP queues (IFF_MULTI_QUEUE) or sockets of one PACKET_FANOUT group.</summary>
    public IReadOnlyList<ILivePort> Queues { get; } = queues;

    public LabPortBinding Binding { get; } = binding;

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

    private int _faulted;

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
