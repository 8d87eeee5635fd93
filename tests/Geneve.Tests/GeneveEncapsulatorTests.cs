using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Geneve.Tests;

public class GeneveEncapsulatorTests
{
    private static readonly TlvMap s_antreaMap = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");

    private static byte[] EncapsulateSeed(out int length)
    {
        var inner = SeedFrames.InnerSyn();
        var key = SeedFrames.TunnelFields();
        var buf = new byte[256];
        Assert.True(GeneveEncapsulator.TryEncapsulate(inner, in key, in s_antreaMap, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out length));
        return buf;
    }

    [Fact]
    public void Reproduces_the_seed_frame_byte_for_byte_apart_from_udp_source_port_and_checksum()
    {
        var buf = EncapsulateSeed(out int length);
        var inner = SeedFrames.InnerSyn();
        Assert.Equal(74, inner.Length);
        Assert.Equal(124, length);
        var actual = buf.AsSpan(0, length).ToArray();
        actual[34] = actual[35] = 0;   // UDP source port: the sender's hash
        actual[40] = actual[41] = 0;   // UDP checksum: depends on the source port
        Assert.Equal(SeedFrames.OuterHeadersHex.Replace(" ", "", StringComparison.Ordinal) + Hex.Format(inner), Hex.Format(actual));
    }

    [Fact]
    public void The_udp_checksum_is_correct_when_csum_is_set()
    {
        var buf = EncapsulateSeed(out int length);
        var udp = buf.AsSpan(34, length - 34);
        ushort expected = Checksum.TransportV4(udp, SeedFrames.Worker1Ip.Value, SeedFrames.Worker2Ip.Value, IpProtocols.Udp);
        Assert.NotEqual(0, expected);
        Assert.Equal(expected, BinaryPrimitives.ReadUInt16BigEndian(udp[6..]));
    }

    [Fact]
    public void Without_csum_the_udp_checksum_is_zero()
    {
        var inner = SeedFrames.InnerSyn();
        var key = SeedFrames.TunnelFields();
        key.TunFlags = 0;
        var buf = new byte[256];
        Assert.True(GeneveEncapsulator.TryEncapsulate(inner, in key, default, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out _));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(40)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(20)));   // no DF either
    }

    [Fact]
    public void The_source_port_is_a_stable_hash_of_the_inner_flow_in_the_ephemeral_range()
    {
        var a = EncapsulateSeed(out _);
        var b = EncapsulateSeed(out _);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(a.AsSpan(34));
        Assert.Equal(port, BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(34)));
        Assert.InRange(port, (ushort)49152, ushort.MaxValue);

        // Another flow (other source port) gets another port with overwhelming likelihood; over
        // many flows the ports spread over the range.
        var ports = new HashSet<ushort>();
        for (ushort sport = 1000; sport < 1400; sport++)
        {
            var inner = PacketBuilder.Tcp(MacAddress.Parse("4e:99:08:c1:53:be"), MacAddress.Parse("aa:bb:cc:dd:ee:ff"),
                Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), sport, 80, TcpFlags.Syn);
            ushort p = GeneveEncapsulator.SourcePort(GeneveEncapsulator.InnerFlowHash(inner));
            Assert.InRange(p, (ushort)49152, ushort.MaxValue);
            ports.Add(p);
        }
        Assert.True(ports.Count > 380, $"only {ports.Count} distinct ports for 400 flows");
    }

    [Fact]
    public void The_hash_ignores_what_changes_within_a_flow()
    {
        var mac1 = MacAddress.Parse("02:00:00:00:00:01");
        var mac2 = MacAddress.Parse("02:00:00:00:00:02");
        var sip = Ipv4Address.Parse("10.0.0.1");
        var dip = Ipv4Address.Parse("10.0.0.2");
        var syn = PacketBuilder.Tcp(mac1, mac2, sip, dip, 1234, 80, TcpFlags.Syn, seq: 1, ttl: 64);
        var ack = PacketBuilder.Tcp(mac1, mac2, sip, dip, 1234, 80, TcpFlags.Ack, seq: 2, ack: 7, ttl: 63, ipId: 99, payload: "hello"u8);
        Assert.Equal(GeneveEncapsulator.InnerFlowHash(syn), GeneveEncapsulator.InnerFlowHash(ack));
    }

    [Fact]
    public void Writes_mapped_tun_metadata_as_options_in_map_order_and_sets_the_c_bit_for_critical_ones()
    {
        var map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0,{class=0x102,type=0x85,len=8}->tun_metadata2");
        var key = SeedFrames.TunnelFields();
        key.TunId = 0x12345678;   // only the low 24 bits are the VNI
        key.TunMetadata[0] = 0x1000_0000;
        key.TunMetadata[2] = 0x0102_0304_0506_0708;
        key.TunMetadata[5] = 0xDEAD;            // present but not mapped: not sent
        key.TunMetadataPresent = 0b100101;
        var inner = SeedFrames.InnerSyn();
        var buf = new byte[256];
        Assert.True(GeneveEncapsulator.TryEncapsulate(inner, in key, in map, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out int n));
        Assert.Equal(42 + 8 + 8 + 12 + 74, n);
        Assert.Equal(n - 42 + 8, BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(38)));   // UDP length
        Assert.Equal(
            "05406558" + "34567800" + "ffff0001" + "10000000" + "01028502" + "0102030405060708",
            Hex.Format(buf.AsSpan(42, 28)));
        Assert.Equal(inner, buf.AsSpan(70, 74).ToArray());
        Assert.Equal(GeneveEncapsulator.Overhead(in key, in map) + inner.Length, n);
    }

    [Fact]
    public void Copies_tos_ttl_and_the_oam_bit()
    {
        var key = SeedFrames.TunnelFields();
        key.TunTos = 0xB8;
        key.TunTtl = 5;
        key.TunFlags |= GeneveTunnelFlags.Oam;
        var buf = new byte[256];
        Assert.True(GeneveEncapsulator.TryEncapsulate(SeedFrames.InnerSyn(), in key, default, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out _));
        Assert.Equal(0xB8, buf[15]);
        Assert.Equal(5, buf[22]);
        Assert.Equal(0x80, buf[43]);
        Assert.Equal(0, Checksum.Fold(Checksum.Add(buf.AsSpan(14, 20))));   // header checksum still right
    }

    [Fact]
    public void Refuses_without_addresses_or_room()
    {
        var inner = SeedFrames.InnerSyn();
        var key = SeedFrames.TunnelFields();
        var buf = new byte[256];
        Assert.False(GeneveEncapsulator.TryEncapsulate(inner, in key, default, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf.AsSpan(0, 123), out int n));
        Assert.Equal(0, n);
        Assert.False(GeneveEncapsulator.TryEncapsulate(inner, in key, default, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf.AsSpan(0, 10), out _));
        key.TunDst = 0;
        Assert.False(GeneveEncapsulator.TryEncapsulate(inner, in key, default, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out _));
        key = SeedFrames.TunnelFields();
        key.TunSrc = 0;
        Assert.False(GeneveEncapsulator.TryEncapsulate(inner, in key, default, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out _));
    }

    [Fact]
    public void The_payload_form_is_the_frame_after_its_outer_headers()
    {
        var frame = EncapsulateSeed(out int length);
        var key = SeedFrames.TunnelFields();
        var payload = new byte[256];
        Assert.True(GeneveEncapsulator.TryWritePayload(SeedFrames.InnerSyn(), in key, in s_antreaMap, payload, out int n));
        Assert.Equal(frame.AsSpan(42, length - 42).ToArray(), payload.AsSpan(0, n).ToArray());
    }

    [Fact]
    public void Encapsulation_allocates_nothing()
    {
        var inner = SeedFrames.InnerSyn();
        var key = SeedFrames.TunnelFields();
        key.TunMetadataPresent = 1;
        var buf = new byte[256];
        GeneveEncapsulator.TryEncapsulate(inner, in key, in s_antreaMap, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            GeneveEncapsulator.TryEncapsulate(inner, in key, in s_antreaMap, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
