namespace Datapath.Io.Live;

/// <summary>Why a <see cref="LiveReceiveLoop"/> ended.</summary>
public enum LiveReceiveLoopExit
{
    /// <summary>Still running.</summary>
    Running,

    /// <summary>Stop was requested (token cancelled, Stop or Dispose); ready frames were drained.</summary>
    Stopped,

    /// <summary>The port faulted (interface gone); see <see cref="ILivePort.Fault"/>.</summary>
    PortFaulted,

    /// <summary>The handler threw; <see cref="LiveReceiveLoop.Completion"/> carries the exception.</summary>
    HandlerFailed,
}
