namespace Datapath.Engine;

/// <summary>
/// Frames received together that enter one node, for <see cref="Node.Prepare{TBatch}"/>: frame i and the bridge
/// port it arrived on. Implement it as a struct (or ref struct) over whatever holds the frames (a replay window,
/// a port's receive batch): the call is specialized per type, so nothing is boxed or allocated.
/// </summary>
public interface IFrameBatch
{
    /// <summary>Frames in the batch.</summary>
    int Count { get; }

    /// <summary>The ofport frame <paramref name="index"/> arrived on.</summary>
    uint InPort(int index);

    /// <summary>Frame <paramref name="index"/>, unchanged until the node has processed it.</summary>
    ReadOnlySpan<byte> Frame(int index);
}
