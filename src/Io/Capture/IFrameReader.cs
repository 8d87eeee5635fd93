namespace Datapath.Io.Capture;

/// <summary>
/// Reads the frames of a capture file one at a time, in file order, in constant memory.
/// </summary>
/// <remarks>
/// Thread-safety: one reader is used by one thread at a time.
/// </remarks>
public interface IFrameReader : IDisposable
{
    /// <summary>The file's path (or the stream's name) used in error messages.</summary>
    string FileName { get; }

    /// <summary>Frames delivered so far.</summary>
    long FramesRead { get; }

    /// <summary>
    /// Reads the next frame. Returns false at the clean end of the file. Throws
    /// <see cref="Datapath.Packets.InputException"/> (located by <see cref="Datapath.Packets.InputException.Offset"/>)
    /// when the next record is truncated or corrupt; frames before it were delivered by earlier calls.
    /// The frame's bytes are valid until the next call.
    /// </summary>
    bool TryReadNext(out CapturedFrame frame);
}
