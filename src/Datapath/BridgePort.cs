using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>One port of a <see cref="Bridge"/>: its OpenFlow number, name, MAC and kind, and its counters.</summary>
public sealed class BridgePort
{
    public BridgePort(uint ofPort, string name, MacAddress mac, PortKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (ofPort is 0 or >= Classifier.OpenFlowPorts.Max)
            throw new ArgumentOutOfRangeException(nameof(ofPort), $"ofport {ofPort} is not a physical port number (1..65279)");
        OfPort = ofPort;
        Name = name;
        Mac = mac;
        Kind = kind;
    }

    public uint OfPort { get; }
    public string Name { get; }
    public MacAddress Mac { get; }
    public PortKind Kind { get; }
    public PortCounters Counters { get; } = new();

    /// <summary>The port's place among its bridge's ports (0, 1, ...), for per-thread tallies (PortTally).</summary>
    internal int Index { get; set; }

    public override string ToString() => $"{OfPort}({Name})";
}
