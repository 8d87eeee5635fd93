namespace Datapath.Engine;

/// <summary>
/// The sink of a <see cref="JourneyWorkers"/> run: a journey sink that also hears where each frame's events begin
/// and end. Calls come on the thread that called <see cref="JourneyWorkers.Run"/>, frame by frame in input order:
/// <see cref="FrameStart"/>, that frame's outputs, transits, deliveries and drops as one thread would have made
/// them, then <see cref="FrameDone"/>.
/// </summary>
public interface IJourneyWindowSink : IJourneySink
{
    /// <summary>The events of frame <paramref name="index"/> of the window come next.</summary>
    void FrameStart(JourneyWindow window, int index);

    /// <summary>Frame <paramref name="index"/> came to <paramref name="result"/>.</summary>
    void FrameDone(JourneyWindow window, int index, in JourneyResult result);
}
