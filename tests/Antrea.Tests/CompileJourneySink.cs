using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>What a compiled cluster's journey did with a frame: where copies left (node/port and the frame), and the drops.</summary>
internal sealed class CompileJourneySink : IJourneySink
{
    public List<(string Where, byte[] Frame)> Exits { get; } = [];

    // The TCP SYNs that left on a pod's port, with their source address.
    public IEnumerable<(string Where, Ipv4Address Source)> Syns => Exits
        .Where(e => e.Frame.Length >= 54 && e.Frame[12] == 8 && e.Frame[13] == 0 && e.Frame[23] == 6 && (e.Frame[14 + ((e.Frame[14] & 15) * 4) + 13] & 0x12) == 2)
        .Select(e => (e.Where, Ipv4Address.Read(e.Frame.AsSpan(26))));

    public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame) => Exits.Add((exit.ToString(), frame.ToArray()));

    public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame)
    {
    }

    public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame)
    {
    }

    public List<string> Drops { get; } = [];

    public void Drop(in JourneyDrop drop) => Drops.Add(drop.ToString());

    /// <summary>
    /// Opens <paramref name="connections"/> connections from outside to <paramref name="node"/>'s NodePort, each from its own
    /// client address (affinity must not hide the balancing) through its eth0; each SYN must reach exactly one pod: where, and with which source.
    /// </summary>
    public static List<(string Where, Ipv4Address Source, Ipv4Address Client)> NodePortFromOutside(Journey journey, NodeModel node, ushort nodePort, int connections)
    {
        var jnode = journey.GetNode(node.Name);
        var uplink = jnode.Host!.Interfaces.Single(i => i.Name == "eth0");
        var result = new List<(string, Ipv4Address, Ipv4Address)>();
        for (int i = 0; i < connections; i++)
        {
            var sink = new CompileJourneySink();
            var client = new Ipv4Address(0xc0a832c8u + (uint)i);
            var syn = PacketBuilder.Tcp(MacAddress.Parse("02:00:00:00:00:99"), MacAddress.Parse(node.NodeMac), client, Ipv4Address.Parse(node.NodeIp), 5555, nodePort, TcpFlags.Syn);
            journey.RunHost(jnode, uplink, syn, sink, 1000 + i);
            journey.Settle(sink);
            Assert.True(sink.Syns.Count() == 1, $"exits {string.Join(", ", sink.Exits.Select(e => e.Where))}; drops {string.Join(", ", sink.Drops)}");
            var (where, src) = sink.Syns.Single();
            result.Add((where, src, client));
        }
        return result;
    }
}
