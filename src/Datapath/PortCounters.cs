namespace Datapath.Engine;

/// <summary>Per-port packet and byte counters (ovs-ofctl dump-ports). Updated with Interlocked; read any time.</summary>
public sealed class PortCounters
{
    private long _rxPackets, _rxBytes, _txPackets, _txBytes, _rxDropped, _txDropped;

    public long RxPackets => Volatile.Read(ref _rxPackets);
    public long RxBytes => Volatile.Read(ref _rxBytes);
    public long TxPackets => Volatile.Read(ref _txPackets);
    public long TxBytes => Volatile.Read(ref _txBytes);
    /// <summary>Frames received on this port that left the bridge nowhere.</summary>
    public long RxDropped => Volatile.Read(ref _rxDropped);
    /// <summary>Frames for this port that could not be sent (tunnel without neighbour...).</summary>
    public long TxDropped => Volatile.Read(ref _txDropped);

    internal void Rx(int bytes)
    {
        Interlocked.Increment(ref _rxPackets);
        Interlocked.Add(ref _rxBytes, bytes);
    }

    internal void Tx(int bytes)
    {
        Interlocked.Increment(ref _txPackets);
        Interlocked.Add(ref _txBytes, bytes);
    }

    /// <summary>Adds a worker's tally of a batch (PortTally.Push).</summary>
    internal void Add(long rxPackets, long rxBytes, long txPackets, long txBytes)
    {
        if (rxPackets != 0)
        {
            Interlocked.Add(ref _rxPackets, rxPackets);
            Interlocked.Add(ref _rxBytes, rxBytes);
        }
        if (txPackets != 0)
        {
            Interlocked.Add(ref _txPackets, txPackets);
            Interlocked.Add(ref _txBytes, txBytes);
        }
    }

    internal void RxDrop() => Interlocked.Increment(ref _rxDropped);

    internal void TxDrop() => Interlocked.Increment(ref _txDropped);

    internal void Clear()
    {
        _rxPackets = _rxBytes = _txPackets = _txBytes = _rxDropped = _txDropped = 0;
    }
}
