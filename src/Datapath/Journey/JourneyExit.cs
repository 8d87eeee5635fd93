using Datapath.Engine.Host;

namespace Datapath.Engine;

/// <summary>
/// Where a frame leaves the emulation: a bridge port (a pod, the tunnel towards a node the journey does not
/// follow, antrea-gw0 when no host stands behind it) or a host device other than the gateway (the uplink; on a
/// Calico node a pod's cali veth). A transit (IJourneySink.Transit) names the port or device it left by the same way.
/// Exactly one of <see cref="Port"/> and <see cref="Device"/> is set.
/// </summary>
public readonly struct JourneyExit
{
    internal JourneyExit(JourneyNode node, BridgePort? port, HostInterface? device)
    {
        System.Diagnostics.Debug.Assert((port is null) != (device is null));
        Node = node;
        Port = port;
        Device = device;
    }

    public JourneyNode Node { get; }
    /// <summary>The bridge port, or null for a host device.</summary>
    public BridgePort? Port { get; }
    /// <summary>The host device, or null for a bridge port.</summary>
    public HostInterface? Device { get; }
    /// <summary>The port's or the device's name (<c>backend2-202ff6</c>, <c>antrea-tun0</c>, <c>ens160</c>).</summary>
    public string Name => Port?.Name ?? Device!.Name;
    /// <summary>The bridge port's ofport; 0 for a host device.</summary>
    public uint OfPort => Port?.OfPort ?? 0;

    public override string ToString() => $"{Node.Name}/{Name}";
}
