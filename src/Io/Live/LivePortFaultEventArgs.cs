namespace Datapath.Io.Live;

/// <summary>Why and when a live port stopped; raised once per port by <see cref="ILivePort.Faulted"/>.</summary>
public sealed class LivePortFaultEventArgs : EventArgs
{
    /// <summary>Makes the fault record.</summary>
    public LivePortFaultEventArgs(string portName, LivePortFaultKind kind, int errno, string message)
    {
        PortName = portName;
        Kind = kind;
        Errno = errno;
        Message = message;
    }

    /// <summary>The interface name of the port.</summary>
    public string PortName { get; }

    /// <summary>What kind of fault.</summary>
    public LivePortFaultKind Kind { get; }

    /// <summary>The errno that ended the port, 0 when none applies.</summary>
    public int Errno { get; }

    /// <summary>A sentence naming the interface, the operation and the errno text.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
