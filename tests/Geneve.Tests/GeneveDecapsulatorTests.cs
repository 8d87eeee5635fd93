using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Geneve.Tests;

public class GeneveDecapsulatorTests
{
    private static readonly TlvMap s_map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");

    /// <summary>An outer frame around the seed SYN whose GENEVE part is <paramref name="geneveHex"/> (header + options).</summary>
    private static byte[] Frame(string geneveHex, bool csum = true)
    {
        var payload = Hex.Parse(geneveHex).Concat(SeedFrames.InnerSyn()).ToArray();
        var outer = new GeneveOuterFields
        {
            EthSrc = SeedFrames.Worker1Mac, EthDst = SeedFrames.Worker2Mac,
            Source = SeedFrames.Worker1Ip, Destination = SeedFrames.Worker2Ip,
            Tos = 0x28, Ttl = 63, DontFragment = true, UdpSource = 52781, UdpDestination = 6081, UdpChecksum = csum,
        };
        var buf = new byte[42 + payload.Length];
        Assert.True(GeneveOuterFrame.TryWrap(payload, in outer, buf, out int n));
        Assert.Equal(buf.Length, n);
        return buf;
    }

    private static GeneveDropReason Decap(byte[] frame, out FlowKey key, out int innerOffset)
    {
        key = default;
        GeneveDecapsulator.TryDecapsulate(frame, in s_map, out innerOffset, ref key, out var reason);
        return reason;
    }

    [Fact]
    public void Decapsulates_the_seed_frame()
    {
        var frame = Frame("00006558 00000000");
        Assert.Equal(GeneveDropReason.None, Decap(frame, out var key, out int offset));
        Assert.Equal(50, offset);
        Assert.Equal(SeedFrames.InnerSyn(), frame.AsSpan(offset).ToArray());
        Assert.Equal(SeedFrames.Worker1Ip.Value, key.TunSrc);
        Assert.Equal(SeedFrames.Worker2Ip.Value, key.TunDst);
        Assert.Equal(0ul, key.TunId);
        Assert.Equal(0, key.TunFlags);
        Assert.Equal(0x28, key.TunTos);
        Assert.Equal(63, key.TunTtl);
        Assert.Equal(0u, key.TunMetadataPresent);
    }

    [Fact]
    public void Fills_tun_id_oam_and_mapped_metadata()
    {
        var frame = Frame("02806558 abcdef00 ffff0001 a0000001");
        Assert.Equal(GeneveDropReason.None, Decap(frame, out var key, out int offset));
        Assert.Equal(58, offset);
        Assert.Equal(0xABCDEFul, key.TunId);
        Assert.Equal(GeneveTunnelFlags.Oam, key.TunFlags);
        Assert.Equal(1u, key.TunMetadataPresent);
        Assert.Equal(0xA000_0001ul, key.TunMetadata[0]);
    }

    // RFC 8926 §3.5: unknown options without the critical bit are skipped.
    [Fact]
    public void Skips_unknown_non_critical_options()
    {
        var frame = Frame("04006558 00000100 01020301 11111111 ffff0001 00000007");
        Assert.Equal(GeneveDropReason.None, Decap(frame, out var key, out int offset));
        Assert.Equal(66, offset);
        Assert.Equal(1u, key.TunMetadataPresent);
        Assert.Equal(7ul, key.TunMetadata[0]);
        Assert.Equal(1ul, key.TunId);
    }

    [Theory]
    // RFC 8926 §3.4: only version 0 exists; others MUST be dropped.
    [InlineData("40006558 00000000", GeneveDropReason.UnsupportedVersion)]
    [InlineData("c0006558 00000000", GeneveDropReason.UnsupportedVersion)]
    // RFC 8926 §3.5: an unknown critical option (type bit 0x80) MUST drop the packet (C bit set or not).
    [InlineData("02406558 00000000 01028501 11111111", GeneveDropReason.UnknownCriticalOption)]
    [InlineData("02006558 00000000 01028501 11111111", GeneveDropReason.UnknownCriticalOption)]
    [InlineData("02406558 00000000 ffff8001 11111111", GeneveDropReason.UnknownCriticalOption)]
    // A mapped (class, type) with the wrong length (OVS: error).
    [InlineData("03006558 00000000 ffff0002 11111111 22222222", GeneveDropReason.OptionLengthMismatch)]
    // An option longer than the option area.
    [InlineData("02006558 00000000 01020102 11111111", GeneveDropReason.OptionsTruncated)]
    // Protocol other than Ethernet for an Ethernet port.
    [InlineData("00000800 00000000", GeneveDropReason.UnsupportedProtocol)]
    public void Drops_with_the_rfc_reason(string geneveHex, GeneveDropReason expected)
    {
        var key = default(FlowKey);
        key.TunId = 42;
        var frame = Frame(geneveHex);
        Assert.False(GeneveDecapsulator.TryDecapsulate(frame, in s_map, out int offset, ref key, out var reason));
        Assert.Equal(expected, reason);
        Assert.Equal(0, offset);
        Assert.Equal(42ul, key.TunId);   // the key is untouched on failure
    }

    [Fact]
    public void Opt_len_past_the_packet_drops()
    {
        // Opt Len 63 words (252 bytes) but only the 74-byte inner frame follows.
        Assert.Equal(GeneveDropReason.OptionsTruncated, Decap(Frame("3f006558 00000000"), out _, out _));
    }

    [Fact]
    public void A_bad_udp_checksum_drops_and_a_zero_one_is_accepted()
    {
        var frame = Frame("00006558 00000000");
        frame[^1] ^= 0xFF;
        Assert.Equal(GeneveDropReason.BadUdpChecksum, Decap(frame, out _, out _));
        var noCsum = Frame("00006558 00000000", csum: false);
        Assert.Equal(GeneveDropReason.None, Decap(noCsum, out _, out _));
    }

    [Fact]
    public void A_bad_ip_checksum_drops()
    {
        var frame = Frame("00006558 00000000");
        frame[24] ^= 1;
        Assert.Equal(GeneveDropReason.BadIpChecksum, Decap(frame, out _, out _));
    }

    [Fact]
    public void Fragments_drop()
    {
        var frame = Frame("00006558 00000000");
        frame[20] |= 0x20;   // MF
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), Checksum.Ipv4Header(frame.AsSpan(14, 20)));
        Assert.Equal(GeneveDropReason.Fragmented, Decap(frame, out _, out _));
    }

    [Fact]
    public void Other_udp_ports_and_protocols_are_not_geneve()
    {
        var udp = PacketBuilder.Udp(SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, SeedFrames.Worker1Ip, SeedFrames.Worker2Ip, 1234, 4789, new byte[40]);
        Assert.Equal(GeneveDropReason.NotGeneve, Decap(udp, out _, out _));
        Assert.Equal(GeneveDropReason.NotGeneve, Decap(SeedFrames.InnerSyn(), out _, out _));
        var arp = PacketBuilder.Arp(1, SeedFrames.Worker1Mac, SeedFrames.Worker1Ip, MacAddress.Zero, SeedFrames.Worker2Ip, SeedFrames.Worker1Mac, MacAddress.Broadcast);
        Assert.Equal(GeneveDropReason.NotGeneve, Decap(arp, out _, out _));
    }

    [Fact]
    public void Ethernet_padding_after_the_datagram_is_not_part_of_the_inner_frame()
    {
        var frame = Frame("00006558 00000000").Concat(new byte[6]).ToArray();
        var key = default(FlowKey);
        Assert.True(GeneveDecapsulator.TryDecapsulate(frame, in s_map, out int offset, out int length, ref key, out _));
        Assert.Equal(74, length);
        Assert.Equal(SeedFrames.InnerSyn(), frame.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void The_protocol_agnostic_form_reports_ipv4_payloads()
    {
        var payload = Hex.Parse("00000800 00000500 45000014");
        var key = default(FlowKey);
        var outer = new GeneveOuterFields { Source = SeedFrames.Worker1Ip, Destination = SeedFrames.Worker2Ip };
        Assert.True(GeneveDecapsulator.TryDecapsulatePayload(payload, in s_map, in outer, out int offset, out ushort proto, ref key, out _));
        Assert.Equal(8, offset);
        Assert.Equal(EtherTypes.IPv4, proto);
        Assert.Equal(5ul, key.TunId);
    }

    [Fact]
    public void Copy_tunnel_fields_moves_every_tun_field()
    {
        var frame = Frame("02806558 abcdef00 ffff0001 a0000001");
        Assert.Equal(GeneveDropReason.None, Decap(frame, out var tunnel, out int offset));
        FlowKey.Extract(frame.AsSpan(offset), 1, out var inner);
        GeneveDecapsulator.CopyTunnelFields(in tunnel, ref inner);
        Assert.Equal(tunnel.Words[..11].ToArray(), inner.Words[..11].ToArray());
        Assert.Equal(Ipv4Address.Parse("10.222.2.34").Value, inner.NwDst);
    }

    [Fact]
    public void Decapsulation_allocates_nothing()
    {
        var frame = Frame("02006558 00000000 ffff0001 a0000001");
        var key = default(FlowKey);
        GeneveDecapsulator.TryDecapsulate(frame, in s_map, out _, ref key, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            GeneveDecapsulator.TryDecapsulate(frame, in s_map, out _, ref key, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
