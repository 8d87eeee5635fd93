namespace Datapath.Io.Live;

/// <summary>
/// The mutable counters behind <see cref="LivePortStatistics"/>. Receive counters have one writer
/// (the receiving thread) and are added once per batch; send counters may be bumped from several
/// threads. All updates are interlocked so a reader on another thread sees whole values.
/// </summary>
internal sealed class LivePortCounters
{
    private long _rxPackets;
    private long _rxBytes;
    private long _rxDropped;
    private long _rxTruncated;
    private long _txPackets;
    private long _txBytes;
    private long _txDropped;
    private long _errors;

    public void AddRx(int packets, long bytes)
    {
        if (packets != 0)
        {
            Interlocked.Add(ref _rxPackets, packets);
            Interlocked.Add(ref _rxBytes, bytes);
        }
    }

    public void AddRxDropped(long packets) => Interlocked.Add(ref _rxDropped, packets);

    public void AddRxTruncated()
    {
        Interlocked.Increment(ref _rxTruncated);
        Interlocked.Increment(ref _rxDropped);
    }

    public void AddTx(int packets, long bytes)
    {
        Interlocked.Add(ref _txPackets, packets);
        Interlocked.Add(ref _txBytes, bytes);
    }

    public void AddTxDropped() => Interlocked.Increment(ref _txDropped);

    public void AddError() => Interlocked.Increment(ref _errors);

    public LivePortStatistics Snapshot() => new(
        Interlocked.Read(ref _rxPackets),
        Interlocked.Read(ref _rxBytes),
        Interlocked.Read(ref _rxDropped),
        Interlocked.Read(ref _rxTruncated),
        Interlocked.Read(ref _txPackets),
        Interlocked.Read(ref _txBytes),
        Interlocked.Read(ref _txDropped),
        Interlocked.Read(ref _errors));
}
