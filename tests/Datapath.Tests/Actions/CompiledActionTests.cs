using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Actions;

/// <summary>
/// The field accesses compiled at flow load (KeyBits) give exactly FieldRegistry's results, and
/// the translator's consulted bits are produced only when asked for.
/// </summary>
public sealed class CompiledActionTests
{
    private static FlowKey RandomKey(Random rng)
    {
        var key = default(FlowKey);
        rng.NextBytes(key.Bytes);
        return key;
    }

    public static TheoryData<FieldId> IntegerFields()
    {
        var data = new TheoryData<FieldId>();
        foreach (var f in FieldRegistry.Fields)
        {
            if (f.Storage is FieldStorage.U8 or FieldStorage.U16 or FieldStorage.U32 or FieldStorage.U64)
                data.Add(f.Id);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(IntegerFields))]
    public void KeyBits_reads_and_writes_like_FieldRegistry(FieldId id)
    {
        var field = FieldRegistry.Get(id);
        var rng = new Random((int)id * 7919 + 1);
        for (int trial = 0; trial < 200; trial++)
        {
            int start = rng.Next(field.BitWidth);
            int count = 1 + rng.Next(field.BitWidth - start);
            var range = new FieldRef(field, start, count);
            var bits = KeyBits.For(range);
            Assert.True(bits.IsSet);

            FlowKey key = RandomKey(rng);
            Assert.Equal(FieldRegistry.ReadBits(in key, field, start, count), (UInt128)bits.Read(in key));

            ulong value = (ulong)rng.NextInt64() ^ ((ulong)rng.NextInt64() << 1);
            FlowKey expected = key, actual = key;
            FieldRegistry.WriteBits(ref expected, field, start, count, value);
            bits.Write(ref actual, value);
            Assert.True(expected.Words.SequenceEqual(actual.Words), $"{field.Name}[{start}..{start + count - 1}] <- 0x{value:x}");
        }
    }

    [Theory]
    [InlineData("load:0x1->NXM_NX_REG0[16]")]
    [InlineData("load:0x2->NXM_NX_REG1[]")]
    [InlineData("set_field:0x5/0xf->reg3")]
    [InlineData("mod_dl_dst:4e:99:08:c1:53:be")]
    [InlineData("set_field:10.0.0.9->nw_dst")]
    [InlineData("mod_tp_dst:8080")]
    [InlineData("load:0xabcd->NXM_NX_XXREG3[0..15]")]
    [InlineData("set_field:::1->tun_ipv6_dst")]
    [InlineData("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]")]
    [InlineData("move:NXM_NX_REG0[0..7]->NXM_NX_REG5[8..15]")]
    [InlineData("move:NXM_NX_XXREG3[]->NXM_NX_XXREG0[]")]
    [InlineData("move:NXM_OF_IP_SRC[]->NXM_NX_REG2[]")]
    public void Compiled_field_actions_match_the_general_path(string text)
    {
        var action = ActionParser.Parse(text, null).Items[0];
        var rng = new Random(text.Length);
        for (int trial = 0; trial < 100; trial++)
        {
            FlowKey key = RandomKey(rng);
            FlowKey actual = key, expected = key;
            switch (action)
            {
                case SetFieldAction sf:
                    sf.Execute(ref actual);
                    UInt128 old = sf.Destination.Read(in expected);
                    sf.Destination.Write(ref expected, (old & ~sf.Mask) | sf.Value);
                    break;
                case MoveAction mv:
                    mv.Execute(ref actual);
                    mv.Destination.Write(ref expected, mv.Source.Read(in expected));
                    break;
                default:
                    Assert.Fail($"{text} parsed as {action.Kind}");
                    break;
            }
            Assert.True(expected.Words.SequenceEqual(actual.Words), text);
        }
    }

    [Fact]
    public void Consulted_bits_are_reported_only_when_tracked()
    {
        var mac = MacAddress.Parse("02:00:00:00:00:0a");
        var br = new Bridge();
        br.AddPort(1, "p1", mac, PortKind.Pod);
        br.AddPort(2, "p2", mac, PortKind.Pod);
        using (var r = new StringReader("table=0,in_port=1,ip,nw_dst=10.0.0.2,actions=resubmit(,1)\ntable=1,tcp,tp_dst=80,actions=output:2\n"))
            br.LoadFlows(r, "test.flows");
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), mac);
        byte[] frame = PacketBuilder.Tcp(mac, mac, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1234, 80, TcpFlags.Syn);
        FlowKey.Extract(frame, 1, out var key);
        var translator = new Translator(node);
        var ctx = new XlateContext { Key = key, TrackConsulted = true };

        translator.Translate(ctx, 0);

        Assert.Equal(1, ctx.ActionCount);
        Assert.Equal(uint.MaxValue, ctx.Consulted.InPort);
        Assert.Equal(uint.MaxValue, ctx.Consulted.NwDst);
        Assert.Equal(0xffff, ctx.Consulted.TpDst);
        Assert.Equal(0u, ctx.Consulted.NwSrc);

        var plain = new XlateContext { Key = key };
        translator.Translate(plain, 0);
        Assert.Equal(1, plain.ActionCount);
        Assert.True(plain.Consulted.Words.IndexOfAnyExcept(0UL) < 0, "no consulted bits without TrackConsulted");
    }
}
