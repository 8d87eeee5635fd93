using Datapath.Engine;
using Datapath.Io.Live;

namespace Datapath.Live;

/// <summary>A bridge port bound to a live port, with the loop receiving from it (null until started or once stopped).</summary>
internal sealed class BoundPort(BridgePort bridgePort, ILivePort livePort, LabPortBinding binding)
{
    public BridgePort BridgePort { get; } = bridgePort;

    public ILivePort LivePort { get; } = livePort;

    public LabPortBinding Binding { get; } = binding;

    public LiveReceiveLoop? Loop { get; set; }
}
