namespace Datapath.Io.Live;

/// <summary>
/// What the three backends share: counters, the once-only fault, disposal state and the
/// argument checks of <see cref="ILivePort"/>. Backends implement the *Core methods.
/// </summary>
public abstract class LivePort : ILivePort
{
    private LivePortFaultEventArgs? _fault;
    private int _disposed;

    /// <summary>Sets the name the port reports.</summary>
    private protected LivePort(string name) => Name = name;

    /// <inheritdoc/>
    public string Name { get; private protected set; }

    /// <inheritdoc/>
    public abstract LivePortBackend Backend { get; }

    /// <inheritdoc/>
    public LivePortStatistics Statistics
    {
        get
        {
            if (!IsDisposed)
            {
                RefreshKernelCounters();
            }

            return Counters.Snapshot();
        }
    }

    /// <inheritdoc/>
    public LivePortFaultEventArgs? Fault => Volatile.Read(ref _fault);

    /// <inheritdoc/>
    public event EventHandler<LivePortFaultEventArgs>? Faulted;

    private protected LivePortCounters Counters { get; } = new();

    private protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc/>
    public int ReceiveBatch(FrameBatch batch, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        batch.Clear();
        if (Fault is not null)
        {
            return 0;
        }

        int timeoutMs = timeout == Timeout.InfiniteTimeSpan
            ? -1
            : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);
        ReceiveCore(batch, timeoutMs);
        return batch.Count;
    }

    /// <inheritdoc/>
    public bool Send(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Fault is not null)
        {
            Counters.AddTxDropped();
            return false;
        }

        return SendCore(frame);
    }

    /// <inheritdoc/>
    public virtual int SendBatch(FrameBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int sent = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            if (Send(batch[i]))
            {
                sent++;
            }
        }

        return sent;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Backend.ToString().ToLowerInvariant()}:{Name}";

    /// <summary>Releases the port's file descriptors (and removes a TAP it created).</summary>
    protected abstract void Dispose(bool disposing);

    /// <summary>Appends ready frames to the (cleared) batch, waiting up to timeoutMs (-1: for ever) for the first.</summary>
    private protected abstract void ReceiveCore(FrameBatch batch, int timeoutMs);

    private protected abstract bool SendCore(ReadOnlySpan<byte> frame);

    /// <summary>Folds kernel-side counters (socket drops) into <see cref="Counters"/>.</summary>
    private protected virtual void RefreshKernelCounters()
    {
    }

    /// <summary>
    /// Whether errno means the interface is gone (the port must stop) rather than a transient
    /// condition. Backends bound to an existing interface override this to tell a link that only
    /// went down (ENETDOWN; it may come back) from one that was deleted.
    /// </summary>
    private protected virtual bool IsInterfaceGone(int errno) => LibC.MeansInterfaceGone(errno);

    /// <summary>Records the fault and raises <see cref="Faulted"/> the first time only.</summary>
    private protected void RaiseFault(LivePortFaultKind kind, int errno, string operation)
    {
        string why = errno != 0 ? LibC.Describe(errno) : "no errno";
        string message = kind == LivePortFaultKind.InterfaceGone
            ? $"{Backend.ToString().ToLowerInvariant()} port '{Name}': interface disappeared during {operation}: {why}; the port has stopped"
            : $"{Backend.ToString().ToLowerInvariant()} port '{Name}': {operation} failed: {why}; the port has stopped";
        RaiseFault(new LivePortFaultEventArgs(Name, kind, errno, message));
    }

    private protected void RaiseFault(LivePortFaultEventArgs fault)
    {
        if (Interlocked.CompareExchange(ref _fault, fault, null) is null)
        {
            Faulted?.Invoke(this, fault);
        }
    }

    /// <summary>Handles a failed read/recv errno: transient ones are ignored, a vanished interface faults the port.</summary>
    private protected void OnReceiveError(int errno, string operation)
    {
        if (errno is LibC.EAGAIN or LibC.EINTR)
        {
            return;
        }

        if (IsInterfaceGone(errno))
        {
            RaiseFault(LivePortFaultKind.InterfaceGone, errno, operation);
            return;
        }

        Counters.AddError();
    }

    /// <summary>Handles a failed write/send errno; always returns false (the frame was not sent).</summary>
    private protected bool OnSendError(int errno, string operation)
    {
        if (errno is LibC.EAGAIN or LibC.ENOBUFS or LibC.EINTR)
        {
            Counters.AddTxDropped();
        }
        else if (IsInterfaceGone(errno))
        {
            Counters.AddTxDropped();
            RaiseFault(LivePortFaultKind.InterfaceGone, errno, operation);
        }
        else
        {
            Counters.AddError();
        }

        return false;
    }

    /// <summary>poll(2) for POLLIN on one fd; true when a read may succeed (or will report an error).</summary>
    private protected static unsafe bool WaitReadable(int fd, int timeoutMs)
    {
        LibC.PollFd pfd = new() { Fd = fd, Events = LibC.POLLIN };
        int n = LibC.Poll(&pfd, 1, timeoutMs);
        return n > 0;
    }
}
