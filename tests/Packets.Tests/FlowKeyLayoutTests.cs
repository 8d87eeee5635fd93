using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Packets.Tests;

public class FlowKeyLayoutTests
{
    [Fact]
    public void FlowKey_is_WordCount_words()
    {
        Assert.Equal(FlowKey.WordCount * 8, Unsafe.SizeOf<FlowKey>());
        Assert.Equal(8, Unsafe.SizeOf<PacketLayout>());
    }

    [Fact]
    public void Registry_has_one_row_per_FieldId_in_order()
    {
        var ids = Enum.GetValues<FieldId>();
        Assert.Equal(ids.Length, FieldRegistry.Fields.Length);
        for (int i = 0; i < ids.Length; i++)
            Assert.Equal(ids[i], FieldRegistry.Fields[i].Id);
    }

    [Fact]
    public void Every_field_lies_inside_the_matchable_words()
    {
        // The last word is PacketLayout, which no rule matches.
        foreach (var f in FieldRegistry.Fields)
            Assert.InRange(f.Offset, 0, (FlowKey.WordCount - 1) * 8 - 1);
    }

    [Theory]
    [InlineData("nw_src", FieldId.NwSrc)]
    [InlineData("NXM_OF_IP_SRC", FieldId.NwSrc)]
    [InlineData("eth_dst", FieldId.EthDst)]
    [InlineData("NXM_OF_ETH_DST", FieldId.EthDst)]
    [InlineData("NXM_NX_REG0", FieldId.Reg0)]
    [InlineData("NXM_NX_TUN_IPV4_DST", FieldId.TunDst)]
    [InlineData("NXM_NX_TUN_METADATA0", FieldId.TunMetadata0)]
    [InlineData("tun_ipv6_src", FieldId.TunIpv6Src)]
    [InlineData("NXM_NX_TUN_IPV6_SRC", FieldId.TunIpv6Src)]
    [InlineData("tun_ipv6_dst", FieldId.TunIpv6Dst)]
    [InlineData("NXM_NX_TUN_IPV6_DST", FieldId.TunIpv6Dst)]
    [InlineData("tcp_dst", FieldId.TpDst)]
    public void Names_and_aliases_resolve(string name, FieldId id)
    {
        Assert.True(FieldRegistry.TryGet(name, out var f));
        Assert.Equal(id, f.Id);
    }

    [Fact]
    public void Registers_and_their_x_views_agree()
    {
        var k = new FlowKey();
        FieldRegistry.Write(ref k, FieldRegistry.Get(FieldId.Xreg0), 0x1122334455667788UL);
        Assert.Equal(0x11223344u, k.Regs[0]);
        Assert.Equal(0x55667788u, k.Regs[1]);
        FieldRegistry.WriteBits(ref k, FieldRegistry.Get(FieldId.Reg0), 16, 1, 1);
        Assert.Equal(0x11233344u, k.Regs[0]);
        var xx = FieldRegistry.Read(in k, FieldRegistry.Get(FieldId.Xxreg0));
        Assert.Equal(new UInt128(0x1123334455667788UL, 0), xx);
    }

    [Fact]
    public void Shared_storage_keeps_neighbouring_bits()
    {
        var k = new FlowKey { TpSrc = 0xAB08 };
        FieldRegistry.Write(ref k, FieldRegistry.Get(FieldId.IcmpType), 3);
        Assert.Equal(0xAB03, k.TpSrc);
        Assert.Equal(3u, (uint)FieldRegistry.Read(in k, FieldRegistry.Get(FieldId.IcmpType)));
    }

    [Fact]
    public void Every_field_round_trips_its_full_width_and_touches_only_its_storage()
    {
        // Walks every row: writing all ones over the width reads back as all ones, and the bytes
        // changed lie inside [Offset, Offset + storage size).
        foreach (var f in FieldRegistry.Fields)
        {
            var k = new FlowKey();
            FieldRegistry.Write(ref k, f, UInt128.MaxValue);
            Assert.Equal(f.FullMask, FieldRegistry.Read(in k, f));
            int size = f.Storage switch
            {
                FieldStorage.U8 => 1, FieldStorage.U16 => 2, FieldStorage.U32 => 4, FieldStorage.U64 => 8,
                FieldStorage.Xreg => 8, _ => 16,
            };
            var bytes = k.Bytes;
            for (int i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != 0)
                    Assert.InRange(i, f.Offset, f.Offset + size - 1);
            }
        }
    }

    [Fact]
    public void Tunnel_ipv6_fields_are_128_bit_maskable_low_word_first()
    {
        var src = FieldRegistry.Get(FieldId.TunIpv6Src);
        var dst = FieldRegistry.Get(FieldId.TunIpv6Dst);
        Assert.Equal(128, src.BitWidth);
        Assert.True(src.Maskable && dst.Maskable && src.Writable && dst.Writable);
        Assert.Equal(FieldPrerequisite.None, dst.Prerequisite);
        Assert.Equal(FieldFormat.Ipv6, dst.Format);
        var k = new FlowKey { TunIpv6Dst = Ipv6Address.Parse("fd00::1:2") };
        Assert.Equal(1UL << 16 | 2, k.TunIpv6DstLo);
        Assert.Equal(0xfd00UL << 48, k.TunIpv6DstHi);
        Assert.Equal(k.TunIpv6Dst.Value, FieldRegistry.Read(in k, dst));
        Assert.True(k.HasTunIpv6);
        Assert.Equal(UInt128.Zero, FieldRegistry.Read(in k, src));
        FieldRegistry.Write(ref k, src, Ipv6Address.Parse("fd00::9").Value);
        Assert.Equal(Ipv6Address.Parse("fd00::9"), k.TunIpv6Src);
        // The tunnel words come before the metadata, as in OVS's struct flow.
        Assert.True(src.Offset < FieldRegistry.Get(FieldId.TunFlags).Offset);
        Assert.True(dst.Offset < FieldRegistry.Get(FieldId.Metadata).Offset);
    }
}
