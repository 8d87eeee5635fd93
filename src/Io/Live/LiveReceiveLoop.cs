using System.Diagnostics;

namespace Datapath.Io.Live;

// Live receive loop
// =================
//
// What?
// -----
// Runs one port's receive side on a dedicated thread and hands each batch to a callback: the
// glue the daemon uses to wire a port to a bridge (handler = extract, classify, act, send).
//
// Design
// ------
// A dedicated background thread (not the thread pool: it blocks in poll(2) and should keep its
// core warm) owns one FrameBatch and loops: ReceiveBatch(batch, PollInterval) -> handler(batch).
// Stopping is cooperative: the CancellationToken (or Stop/Dispose) is checked between batches,
// so it is seen within one PollInterval; then up to DrainBatches batches that are already queued
// in the kernel are still handed over (ReceiveBatch with a zero timeout), and the loop exits.
// A port fault ends the loop quietly (ExitReason = PortFaulted, Completion succeeds); a handler
// exception ends it with Completion faulted. Nothing is thrown into the thread, so a vanished
// interface never takes the process down.
//
// Invariants
// ----------
//  - The handler runs on the loop thread only, one batch at a time.
//  - The port is not disposed by the loop; dispose it after Completion (or Stop) returns.
//
// Thread-safety
// -------------
// Start/Stop/Dispose from any thread; Stop waits for the loop thread to end.
//
// Cost
// ----
// One thread per port; one FrameBatch (Capacity x (64 + FrameCapacity) bytes, pinned).

/// <summary>Runs a live port's receive side on a dedicated thread (see the design notes in the source).</summary>
public sealed class LiveReceiveLoop : IDisposable
{
    private readonly ILivePort _port;
    private readonly FrameBatchHandler _handler;
    private readonly LiveReceiveLoopOptions _options;
    private readonly CancellationTokenSource _stop;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private long _batches;
    private long _frames;
    private int _exit;

    private LiveReceiveLoop(ILivePort port, FrameBatchHandler handler, LiveReceiveLoopOptions options, CancellationToken cancellationToken)
    {
        _port = port;
        _handler = handler;
        _options = options;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = options.ThreadName ?? $"rx {port.Backend.ToString().ToLowerInvariant()}:{port.Name}",
        };
    }

    /// <summary>Completes when the loop has ended: successfully when stopped or when the port faulted,
    /// faulted with the handler's exception when the handler threw.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the loop ended, or Running.</summary>
    public LiveReceiveLoopExit ExitReason => (LiveReceiveLoopExit)Volatile.Read(ref _exit);

    /// <summary>Batches handed to the handler so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Frames handed to the handler so far.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Starts a thread receiving from <paramref name="port"/> and calling <paramref name="handler"/> per batch until
    /// <paramref name="cancellationToken"/> is cancelled, <see cref="Stop"/> is called or the port faults.</summary>
    public static LiveReceiveLoop Start(ILivePort port, FrameBatchHandler handler, LiveReceiveLoopOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(handler);
        LiveReceiveLoop loop = new(port, handler, options ?? new LiveReceiveLoopOptions(), cancellationToken);
        loop._thread.Start();
        return loop;
    }

    /// <summary>Requests a stop and waits until the loop thread has drained and ended.</summary>
    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    /// <summary>Same as <see cref="Stop"/>.</summary>
    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private void Run()
    {
        FrameBatch batch = new(_options.BatchCapacity, _options.FrameCapacity);
        CancellationToken token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (_port.Fault is not null)
                {
                    Finish(LiveReceiveLoopExit.PortFaulted, null);
                    return;
                }

                if (_port.ReceiveBatch(batch, _options.PollInterval) > 0)
                {
                    Deliver(batch);
                }
            }

            // Draining: hand over what the kernel already queued, without waiting for more.
            for (int i = 0; i < _options.DrainBatches && _port.Fault is null; i++)
            {
                if (_port.ReceiveBatch(batch, TimeSpan.Zero) == 0)
                {
                    break;
                }

                Deliver(batch);
            }

            Finish(LiveReceiveLoopExit.Stopped, null);
        }
        catch (ObjectDisposedException) when (token.IsCancellationRequested)
        {
            Finish(LiveReceiveLoopExit.Stopped, null); // the owner disposed the port while stopping us
        }
        catch (Exception ex)
        {
            Finish(LiveReceiveLoopExit.HandlerFailed, ex);
        }
    }

    private void Deliver(FrameBatch batch)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _frames, batch.Count);
        _handler(_port, batch);
    }

    private void Finish(LiveReceiveLoopExit exit, Exception? error)
    {
        Debug.Assert(exit != LiveReceiveLoopExit.Running);
        Volatile.Write(ref _exit, (int)exit);
        if (error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(error);
        }
    }
}
