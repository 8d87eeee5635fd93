using System.Buffers.Binary;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>
/// VXLAN (RFC 7348) as Calico's vxlan.calico sends it: node 10.79.1.201 → 10.79.1.202, VNI 4096, UDP 4789,
/// no UDP checksum; the round trip, the receive checks, and tshark (an independent judge) decoding what we write.
/// </summary>
public sealed class VxlanTests : IDisposable
{
    private static readonly MacAddress Node1Mac = MacAddress.Parse("00:50:56:8f:4e:82");
    private static readonly MacAddress Node2Mac = MacAddress.Parse("00:50:56:8f:1c:f6");
    private readonly string _dir = Directory.CreateTempSubdirectory("vxlan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FlowKey Calico()
    {
        FlowKey k = default;
        k.TunSrc = Ipv4Address.Parse("10.79.1.201").Value;
        k.TunDst = Ipv4Address.Parse("10.79.1.202").Value;
        k.TunId = VxlanHeader.CalicoVni;
        return k;
    }

    // A pod on worker1 (Calico block 10.244.1.0/26) curls one on worker2; the inner MACs are the vxlan.calico devices'.
    private static byte[] InnerSyn() => PacketBuilder.Tcp(MacAddress.Parse("66:a1:00:00:00:01"), MacAddress.Parse("66:a2:00:00:00:02"),
        Ipv4Address.Parse("10.244.1.5"), Ipv4Address.Parse("10.244.2.7"), 51000, 80, TcpFlags.Syn, seq: 1);

    private static byte[] Encap(in FlowKey key, byte[] inner)
    {
        var buffer = new byte[inner.Length + 100];
        Assert.True(VxlanEncapsulator.TryEncapsulate(inner, in key, Node1Mac, Node2Mac, buffer, out int n));
        return buffer[..n];
    }

    [Fact]
    public void Our_frame_carries_the_vni_on_udp_4789_and_decapsulates_to_the_same_inner_frame_and_tunnel_fields()
    {
        var key = Calico();
        byte[] inner = InnerSyn();
        byte[] outer = Encap(in key, inner);
        Assert.Equal(inner.Length + 50, outer.Length); // Calico's 50 bytes of VXLAN overhead over IPv4
        Assert.Equal(50, VxlanEncapsulator.Overhead(in key));
        Assert.Equal(VxlanHeader.UdpPort, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(36)));
        Assert.Equal(0x08, outer[42]);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(40))); // no UDP checksum, as Linux's default
        ushort sport = BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(34));
        Assert.InRange(sport, VxlanEncapsulator.SourcePortMin, VxlanEncapsulator.SourcePortMax);

        FlowKey got = default;
        Assert.True(VxlanDecapsulator.TryDecapsulate(outer, out int offset, out int length, ref got, out var why), why.ToString());
        Assert.Equal(inner, outer.AsSpan(offset, length).ToArray());
        Assert.Equal(VxlanHeader.CalicoVni, (uint)got.TunId);
        Assert.Equal(key.TunSrc, got.TunSrc);
        Assert.Equal(key.TunDst, got.TunDst);
        Assert.Equal(64, got.TunTtl);
    }

    [Fact]
    public void An_ipv6_underlay_round_trips_with_its_mandatory_udp_checksum()
    {
        FlowKey key = default;
        key.TunIpv6Src = Ipv6Address.Parse("fd00:79::201");
        key.TunIpv6Dst = Ipv6Address.Parse("fd00:79::202");
        key.TunId = VxlanHeader.CalicoVni;
        byte[] inner = InnerSyn();
        byte[] outer = Encap(in key, inner);
        Assert.Equal(inner.Length + 70, outer.Length);
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(outer.AsSpan(60)));
        FlowKey got = default;
        Assert.True(VxlanDecapsulator.TryDecapsulate(outer, out int offset, out int length, ref got, out var why), why.ToString());
        Assert.Equal(inner, outer.AsSpan(offset, length).ToArray());
        Assert.Equal(key.TunIpv6Dst, got.TunIpv6Dst);
    }

    [Fact]
    public void What_linux_drops_we_drop_and_say_why()
    {
        byte[] outer = Encap(Calico(), InnerSyn());
        FlowKey untouched = default;

        byte[] noFlag = (byte[])outer.Clone();
        noFlag[42] = 0; // the I flag cleared (no UDP checksum to fix: it is 0)
        Assert.False(VxlanDecapsulator.TryDecapsulate(noFlag, out _, out _, ref untouched, out var why));
        Assert.Equal(GeneveDropReason.VxlanFlagNotSet, why);

        byte[] reserved = (byte[])outer.Clone();
        reserved[43] = 0xff; // reserved bits: ignored on receipt (RFC 7348 §5)
        Assert.True(VxlanDecapsulator.TryDecapsulate(reserved, out _, out _, ref untouched, out _));

        byte[] otherPort = (byte[])outer.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(otherPort.AsSpan(36), 8472); // Linux's old default port: not VXLAN here
        FlowKey k = default;
        Assert.False(VxlanDecapsulator.TryDecapsulate(otherPort, out _, out _, ref k, out why));
        Assert.Equal(GeneveDropReason.NotVxlan, why);
        Assert.Equal(0ul, k.TunId);

        Assert.False(VxlanDecapsulator.TryDecapsulate(outer.AsSpan(0, 50 + 10), out _, out _, ref k, out why)); // inner cut short
        for (int cut = 0; cut < outer.Length; cut++)
            _ = VxlanDecapsulator.TryDecapsulate(outer.AsSpan(0, cut), out _, out _, ref k, out _); // never throws
    }

    [Fact]
    public void Encapsulating_and_decapsulating_allocate_nothing()
    {
        var key = Calico();
        byte[] inner = InnerSyn();
        var buffer = new byte[256];
        FlowKey got = default;
        VxlanEncapsulator.TryEncapsulate(inner, in key, Node1Mac, Node2Mac, buffer, out int n);
        VxlanDecapsulator.TryDecapsulate(buffer.AsSpan(0, n), out _, out _, ref got, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            VxlanEncapsulator.TryEncapsulate(inner, in key, Node1Mac, Node2Mac, buffer, out n);
            VxlanDecapsulator.TryDecapsulate(buffer.AsSpan(0, n), out _, out _, ref got, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Tshark_decodes_our_frames_as_vxlan_with_the_vni_and_the_inner_syn()
    {
        string tshark = ExternalTools.Require("tshark", "tshark");
        string pcap = Path.Combine(_dir, "vxlan.pcap");
        using (var writer = PcapWriter.Create(pcap))
            writer.WriteFrame(Encap(Calico(), InnerSyn()), 1_700_000_000_000_000_000);
        string output = ExternalTools.Run(tshark, "-r", pcap, "-n", "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=|",
            "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.protocols", "-e", "vxlan.vni", "-e", "vxlan.flags", "-e", "ip.checksum.status",
            "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tcp.flags.syn", "-e", "_ws.expert.message");
        var f = output.Trim().Split('|');
        Assert.Equal("eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp", f[0]);
        Assert.Equal("4096", f[1]);
        Assert.Equal("0x0800", f[2]); // the I flag (the 16-bit flags field as Wireshark shows it)
        Assert.Equal("1,1", f[3]);    // good IPv4 checksums, outer and inner (tshark: 1 = good)
        Assert.Equal("10.79.1.201,10.244.1.5", f[4]);
        Assert.Equal("10.79.1.202,10.244.2.7", f[5]);
        Assert.Equal("80", f[6]);
        Assert.Equal("1", f[7]);
        // The only expert note is the SYN's own ("Connection establish request"): no bad checksum, nothing malformed.
        Assert.StartsWith("Connection establish request (SYN)", f[8], StringComparison.Ordinal);
        Assert.DoesNotContain(",", f[8], StringComparison.Ordinal);
    }
}
