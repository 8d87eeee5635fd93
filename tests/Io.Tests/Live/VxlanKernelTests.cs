using Datapath.Geneve;
using Datapath.Io.Live;
using Datapath.Packets;

namespace Datapath.Io.Tests.Live;

/// <summary>
/// Linux's vxlan device as the judge of our VXLAN: a namespace is a Calico node (vxlan.calico, VNI 4096,
/// dstport 4789, its VTEP 10.244.1.0 with the route, neighbour and FDB entry Calico writes for a remote node);
/// we are the remote node 10.77.0.2 on the veth. Our encapsulated echo request to 10.244.1.0 arrives on
/// vxlan.calico, and the echo reply the kernel encapsulates back to us decapsulates here to the right inner packet.
/// </summary>
public sealed class VxlanKernelTests
{
    private static readonly MacAddress LocalVtepMac = MacAddress.Parse("66:a1:00:00:00:01");
    private static readonly MacAddress RemoteVtepMac = MacAddress.Parse("66:a2:00:00:00:02");
    private static readonly Ipv4Address LocalVtep = Ipv4Address.Parse("10.244.1.0");
    private static readonly Ipv4Address RemotePod = Ipv4Address.Parse("10.244.2.7");

    [LiveFact]
    public void The_kernel_takes_our_vxlan_frames_and_its_own_decode_here()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        net.ExecCheck("ip", "neigh", "replace", TestNetwork.PeerAddress, "lladdr", "02:00:5e:10:00:02", "dev", inner);
        var (code, _, err) = net.Exec("ip", "link", "add", "vxlan.calico", "type", "vxlan", "id", "4096", "dstport", "4789",
            "local", TestNetwork.NamespaceAddress, "dev", inner, "nolearning");
        Assert.True(code == 0, "this kernel cannot make a vxlan device (modprobe vxlan): " + err);
        net.ExecCheck("ip", "link", "set", "dev", "vxlan.calico", "address", LocalVtepMac.ToString(), "up");
        net.ExecCheck("ip", "addr", "add", LocalVtep + "/32", "dev", "vxlan.calico");
        // What Calico programs for a remote node's block: route via its VTEP, the VTEP's MAC, the FDB entry to its node IP.
        net.ExecCheck("ip", "neigh", "replace", "10.244.2.0", "lladdr", RemoteVtepMac.ToString(), "dev", "vxlan.calico");
        net.ExecCheck("ip", "route", "add", "10.244.2.0/26", "via", "10.244.2.0", "dev", "vxlan.calico", "onlink");
        net.ExecCheck("bridge", "fdb", "add", RemoteVtepMac.ToString(), "dev", "vxlan.calico", "dst", TestNetwork.PeerAddress);
        long rxBefore = net.InnerCounter("vxlan.calico", "rx_packets");

        using AfPacketPort port = AfPacketPort.Open(host, new AfPacketPortOptions { Filter = "udp port 4789" });
        FlowKey tunnel = default;
        tunnel.TunSrc = Ipv4Address.Parse(TestNetwork.PeerAddress).Value;
        tunnel.TunDst = Ipv4Address.Parse(TestNetwork.NamespaceAddress).Value;
        tunnel.TunId = VxlanHeader.CalicoVni;
        byte[] echo = PacketBuilder.IcmpEcho(RemoteVtepMac, LocalVtepMac, RemotePod, LocalVtep, reply: false, id: 0x4d2, seq: 1, new byte[56]);
        var buffer = new byte[echo.Length + 64];
        Assert.True(VxlanEncapsulator.TryEncapsulate(echo, in tunnel, MacAddress.Parse("02:00:5e:10:00:02"),
            MacAddress.Parse(net.InnerMac(inner)), buffer, out int n));
        var send = new FrameBatch();
        Assert.True(send.TryAdd(buffer.AsSpan(0, n)));
        Assert.Equal(1, port.SendBatch(send));

        // The kernel's answer: VXLAN from 10.77.0.1 to us, VNI 4096, an echo reply 10.244.1.0 > 10.244.2.7 inside.
        FrameBatch batch = new();
        byte[]? reply = null;
        for (int tries = 0; tries < 30 && reply is null; tries++)
        {
            port.ReceiveBatch(batch, TimeSpan.FromMilliseconds(100));
            for (int i = 0; i < batch.Count && reply is null; i++)
            {
                if (batch[i].Length > 50 && batch[i][12] == 0x08 && batch[i][13] == 0x00)
                    reply = batch[i].ToArray();
            }
        }
        Assert.True(reply is not null, "no VXLAN frame came back from the kernel");
        Assert.True(net.InnerCounter("vxlan.calico", "rx_packets") > rxBefore, "vxlan.calico received nothing");

        FlowKey got = default;
        Assert.True(VxlanDecapsulator.TryDecapsulate(reply, out int offset, out int length, ref got, out var why), why.ToString());
        Assert.Equal(VxlanHeader.CalicoVni, (uint)got.TunId);
        Assert.Equal(Ipv4Address.Parse(TestNetwork.NamespaceAddress).Value, got.TunSrc);
        FlowKey.Extract(reply.AsSpan(offset, length), 1, out var innerKey);
        Assert.Equal(LocalVtepMac, innerKey.DlSrc);
        Assert.Equal(RemoteVtepMac, innerKey.DlDst);
        Assert.Equal(LocalVtep.Value, innerKey.NwSrc);
        Assert.Equal(RemotePod.Value, innerKey.NwDst);
        Assert.Equal(IpProtocols.Icmp, innerKey.NwProto);
        Assert.Equal(0, innerKey.TpSrc); // ICMP type 0: echo reply
    }
}
