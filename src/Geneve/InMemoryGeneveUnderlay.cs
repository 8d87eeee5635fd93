using System.Buffers;
using System.Collections.Concurrent;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// One node's end of an <see cref="InMemoryUnderlayNetwork"/>. A send copies the payload into a
/// pooled buffer queued at the destination; Receive hands the queued buffers over as a batch and
/// returns the previous batch's buffers to the pool.
/// </summary>
/// <remarks>Thread-safety: TrySend from any thread; Receive and Received* from one thread.</remarks>
public sealed class InMemoryGeneveUnderlay : IGeneveUnderlay
{
    private readonly InMemoryUnderlayNetwork _network;
    private readonly ConcurrentQueue<Datagram> _queue = new();
    private readonly SemaphoreSlim _waiting = new(0);
    private readonly int _queueCapacity;
    private readonly Datagram[] _batch;
    private int _batchCount;
    private int _queued;
    private long _dropped;
    private volatile bool _disposed;

    private readonly record struct Datagram(Ipv4Address Source, byte[] Buffer, int Length);

    internal InMemoryGeneveUnderlay(InMemoryUnderlayNetwork network, Ipv4Address address, int queueCapacity, int batchCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCapacity, 1);
        _network = network;
        LocalAddress = address;
        _queueCapacity = queueCapacity;
        _batch = new Datagram[batchCapacity];
    }

    public Ipv4Address LocalAddress { get; }

    /// <summary>Datagrams dropped on arrival because this node's queue was full.</summary>
    public long DroppedOnArrival => Interlocked.Read(ref _dropped);

    public bool TrySend(Ipv4Address destination, ReadOnlySpan<byte> payload)
        => !_disposed && _network.TryDeliver(LocalAddress, destination, payload);

    internal bool TryEnqueue(Ipv4Address source, ReadOnlySpan<byte> payload)
    {
        if (_disposed)
            return false;
        if (Interlocked.Increment(ref _queued) > _queueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        _queue.Enqueue(new Datagram(source, buffer, payload.Length));
        _waiting.Release();
        return true;
    }

    public int Receive(TimeSpan timeout)
    {
        ReleaseBatch();
        if (_disposed)
            return 0;
        try
        {
            if (!_waiting.Wait(timeout) || _disposed)
                return 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        int n = 0;
        do
        {
            if (!_queue.TryDequeue(out var d))
                break;   // cannot happen: each permit was released after its enqueue
            Interlocked.Decrement(ref _queued);
            _batch[n++] = d;
        }
        while (n < _batch.Length && _waiting.Wait(0));
        _batchCount = n;
        return n;
    }

    public ReadOnlySpan<byte> ReceivedPayload(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_batchCount, nameof(index));
        var d = _batch[index];
        return d.Buffer.AsSpan(0, d.Length);
    }

    public Ipv4Address ReceivedSource(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_batchCount, nameof(index));
        return _batch[index].Source;
    }

    private void ReleaseBatch()
    {
        for (int i = 0; i < _batchCount; i++)
        {
            ArrayPool<byte>.Shared.Return(_batch[i].Buffer);
            _batch[i] = default;
        }
        _batchCount = 0;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _network.Detach(this);
        while (_queue.TryDequeue(out var d))
            ArrayPool<byte>.Shared.Return(d.Buffer);
        _waiting.Release();   // wakes a receiver blocked in Receive; it sees _disposed and returns 0
        // The receiving thread owns the batch; it returns it on its next Receive (which returns 0).
    }
}
