using Datapath.Antrea;
using Datapath.Engine.Host;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Host;

/// <summary>
/// worker1 of the Calico lab as a host alone: the VXLAN device's send and receive paths and their drops, and the
/// source a packet to a pod's address-less veth gets.
/// </summary>
public sealed class CalicoHostTests
{
    private static readonly AntreaScenario s_lab = AntreaScenario.LoadEmbedded("calico");
    private static readonly MacAddress Worker1Vtep = MacAddress.Parse("66:85:d4:1e:92:3b");
    private static readonly MacAddress Worker1Uplink = MacAddress.Parse("52:54:00:3a:6c:88");
    private static readonly MacAddress Worker2Uplink = MacAddress.Parse("52:54:00:3a:6c:89");

    private static HostStack Worker1(Func<HostStackConfig, HostStackConfig>? change = null)
    {
        Assert.True(ScenarioHosts.TryConfig(s_lab, "worker1", 1, out var config));
        return HostStack.Create(change?.Invoke(config) ?? config);
    }

    private sealed class Sink : IHostSink
    {
        public List<(string Device, byte[] Frame)> Sent { get; } = [];

        public void Transmit(HostStack host, HostInterface device, ReadOnlySpan<byte> frame) => Sent.Add((device.Name, frame.ToArray()));
    }

    [Fact]
    public void A_packet_to_a_local_pod_leaves_on_its_veth_from_the_node_ip_as_inet_select_addr_picks_it()
    {
        using var host = Worker1();
        var sink = new Sink();
        var syn = PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, Ipv4Address.Parse("10.42.135.131"), 40000, 8000, TcpFlags.Syn);
        var verdict = host.SendLocal(syn, sink, nowMs: 1);
        Assert.False(verdict.Dropped, verdict.ToString());
        var (device, frame) = Assert.Single(sink.Sent);
        Assert.Equal("cali6847b0d64cd", device);
        FlowKey.Extract(frame, 0, out var k);
        Assert.Equal(("192.168.1.88", "ee:ee:ee:ee:ee:ee", "d2:4b:8a:17:e3:60"), (new Ipv4Address(k.NwSrc).ToString(), k.DlSrc.ToString(), k.DlDst.ToString()));
    }

    [Fact]
    public void Without_an_fdb_entry_for_the_remote_vtep_the_frame_is_a_tunnel_encap_drop()
    {
        using var host = Worker1(c =>
        {
            var vxlan = c.Interfaces.Single(i => i.Kind == HostInterfaceKind.Vxlan);
            var bare = new HostInterface(vxlan.Name, vxlan.Mac, vxlan.Address, vxlan.PrefixLength, vxlan.Mtu)
            {
                Kind = HostInterfaceKind.Vxlan,
                Vxlan = new VxlanDevice(vxlan.Vxlan!.Vni, vxlan.Vxlan.Local), // learning off, no entries
            };
            c.Interfaces[c.Interfaces.IndexOf(vxlan)] = bare;
            return c;
        });
        var sink = new Sink();
        var syn = PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, Ipv4Address.Parse("10.42.54.194"), 40000, 9898, TcpFlags.Syn);
        var verdict = host.SendLocal(syn, sink, nowMs: 1);
        Assert.Equal(DropReason.TunnelEncap, verdict.DropReason);
        Assert.Empty(sink.Sent);
        Assert.Equal(1, host.GetDrops(DropReason.TunnelEncap));
    }

    [Theory]
    [InlineData(4096u, null)]
    [InlineData(4097u, DropReason.TunnelDecap)]
    public void A_vxlan_datagram_from_worker2_is_decapsulated_only_with_the_devices_vni(uint vni, DropReason? drop)
    {
        using var host = Worker1();
        // podinfo's SYN-ACK as worker2's vxlan.calico sends it: inner 10.42.54.194 -> debug pod 10.42.135.132.
        var inner = PacketBuilder.Tcp(MacAddress.Parse("66:f8:2d:91:be:9a"), Worker1Vtep, Ipv4Address.Parse("10.42.54.194"), Ipv4Address.Parse("10.42.135.132"),
            9898, 51324, TcpFlags.Syn, ttl: 63);
        FlowKey tunnel = default;
        tunnel.TunSrc = Ipv4Address.Parse("192.168.1.89").Value;
        tunnel.TunDst = Ipv4Address.Parse("192.168.1.88").Value;
        tunnel.TunId = vni;
        var outer = new byte[inner.Length + 64];
        Assert.True(VxlanEncapsulator.TryEncapsulate(inner, in tunnel, Worker2Uplink, Worker1Uplink, outer, out int n));
        var sink = new Sink();
        var verdict = host.Receive("enp3s0", outer.AsSpan(0, n), sink, nowMs: 1);
        Assert.Equal(drop, verdict.DropReason);
        if (drop is null)
        {
            var (device, frame) = Assert.Single(sink.Sent);
            Assert.Equal("calie3ba9b96e53", device);
            FlowKey.Extract(frame, 0, out var k);
            Assert.Equal(("10.42.54.194", "ae:91:c2:5b:08:7f", 62), (new Ipv4Address(k.NwSrc).ToString(), k.DlDst.ToString(), (int)k.NwTtl));
            Assert.Equal(1, host.Decapsulated);
        }
        else
        {
            Assert.Empty(sink.Sent);
            Assert.Equal(0, host.Decapsulated);
        }
    }
}
