namespace Datapath.Io.Live;

/// <summary>
/// Receives one batch from a <see cref="LiveReceiveLoop"/> on the loop's thread. The batch and its
/// frames are valid only during the call (the loop reuses the memory); frames may be rewritten in place.
/// </summary>
public delegate void FrameBatchHandler(ILivePort port, FrameBatch batch);
