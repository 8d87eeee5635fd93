namespace Datapath.Io.Live;

/// <summary>Tuning of a <see cref="LiveReceiveLoop"/>.</summary>
public sealed class LiveReceiveLoopOptions
{
    /// <summary>Frames per batch (one receive system call). Default 64.</summary>
    public int BatchCapacity { get; init; } = FrameBatch.DefaultCapacity;

    /// <summary>Largest frame, bytes; keep it at least MTU + 18. Default 2048.</summary>
    public int FrameCapacity { get; init; } = FrameBatch.DefaultFrameCapacity;

    /// <summary>Longest single wait for frames; bounds how long a stop request waits to be seen. Default 50 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>After a stop request, at most this many further ready batches are still handed over (draining). Default 64.</summary>
    public int DrainBatches { get; init; } = 64;

    /// <summary>Name of the thread, for debuggers and dumps; default "rx &lt;backend&gt;:&lt;name&gt;".</summary>
    public string? ThreadName { get; init; }
}
