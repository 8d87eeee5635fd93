namespace Datapath.Io.Live;

/// <summary>
/// A frame port on a live interface: a TAP device, or an existing interface opened raw
/// (AF_PACKET or libpcap). Frames are whole Ethernet frames without FCS.
/// </summary>
/// <remarks>
/// Thread-safety: one thread receives (<see cref="ReceiveBatch"/>); any threads may send
/// (<see cref="Send"/>, <see cref="SendBatch"/>) at the same time; statistics and the fault may be
/// read from anywhere. Dispose only after the receiving thread has stopped
/// (<see cref="LiveReceiveLoop"/> does this ordering for you).
/// Faults: when the interface disappears the port raises <see cref="Faulted"/> once, sets
/// <see cref="Fault"/>, and from then on receives nothing and sends nothing — it never throws into
/// the caller's loop. Only opening a port throws (<see cref="LiveIoException"/>).
/// </remarks>
public interface ILivePort : IDisposable
{
    /// <summary>The interface name (for a TAP, the name the kernel gave it).</summary>
    string Name { get; }

    /// <summary>Which backend this is.</summary>
    LivePortBackend Backend { get; }

    /// <summary>
    /// Clears <paramref name="batch"/> and fills it with the frames that are ready, waiting up to
    /// <paramref name="timeout"/> for the first one (<see cref="TimeSpan.Zero"/>: don't wait;
    /// <see cref="Timeout.InfiniteTimeSpan"/>: wait for ever). Returns the number of frames; 0 on
    /// timeout, on a transient error, or once the port has faulted.
    /// </summary>
    int ReceiveBatch(FrameBatch batch, TimeSpan timeout);

    /// <summary>Sends one frame; false when it was dropped (queue full, too long, port faulted), counted.</summary>
    bool Send(ReadOnlySpan<byte> frame);

    /// <summary>Sends frames 0..Count-1 of <paramref name="batch"/>; returns how many were sent.</summary>
    int SendBatch(FrameBatch batch);

    /// <summary>A snapshot of the counters.</summary>
    LivePortStatistics Statistics { get; }

    /// <summary>Why the port stopped, or null while it runs.</summary>
    LivePortFaultEventArgs? Fault { get; }

    /// <summary>Raised once, on the thread that noticed it, when the port stops because of a fault.</summary>
    event EventHandler<LivePortFaultEventArgs>? Faulted;
}
