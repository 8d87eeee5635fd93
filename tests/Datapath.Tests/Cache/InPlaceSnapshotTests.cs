using Datapath.Packets;

namespace Datapath.Engine.Tests.Cache;

/// <summary>
/// A cached pass applies its key snapshots in place, one step after another (MegaflowEntry.InPlace): each test runs
/// the same frames through a cached and an uncached copy of one bridge and asserts the same frames on every port, in
/// order, and that the megaflow took (or, where it must not, did not take) the in-place way.
/// </summary>
public sealed class InPlaceSnapshotTests
{
    private static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:0b");

    [Fact]
    public void Rewrites_between_outputs_are_applied_step_by_step()
    {
        // dec_ttl and a MAC rewrite, a copy out, then the destination address and port rewritten for a second copy.
        var (cached, frames) = RunBoth(
            "table=0,tcp,actions=dec_ttl,mod_dl_dst:02:00:00:00:00:0c,output:2,mod_nw_dst:10.0.0.9,mod_tp_dst:8080,output:3",
            Tcp(ttl: 64), Tcp(ttl: 64, sport: 4321), Tcp(ttl: 64));
        Assert.True(cached.CachedMegaflows.All(e => e.InPlace));
        Assert.All(frames, f => Assert.Equal(63, f.Frame[14 + 8])); // the IPv4 TTL, decremented once
        Assert.All(frames.Where(f => f.Port == 3), f => Assert.Equal("0A0000091F90", Convert.ToHexString([.. f.Frame[30..34], .. f.Frame[36..38]])));
        Assert.All(frames.Where(f => f.Port == 2), f => Assert.Equal("0A0000020050", Convert.ToHexString([.. f.Frame[30..34], .. f.Frame[36..38]])));
        Assert.Equal(12, frames.Count); // 3 frames, 2 copies each, 2 rounds
    }

    [Fact]
    public void A_clone_that_rewrites_its_copy_puts_the_consulted_bits_back()
    {
        // clone(...) writes nw_dst and eth_src for its own copy; the packet goes on with the values it had: the step
        // after the clone restores them from the megaflow (a write consults what it overwrites).
        var (cached, frames) = RunBoth(
            "table=0,ip,actions=clone(mod_nw_dst:10.0.0.9,mod_dl_src:02:00:00:00:00:0d,output:2),output:3",
            Tcp(), Tcp(sport: 999), Tcp());
        Assert.True(cached.CachedMegaflows.All(e => e.InPlace));
        var on3 = frames.Where(f => f.Port == 3).Select(f => f.Frame).ToList();
        Assert.All(on3, f => Assert.Equal(new byte[] { 10, 0, 0, 2 }, f[30..34]));
    }

    [Fact]
    public void A_tunnel_field_set_inside_a_clone_is_set_back_explicitly()
    {
        // tun_id written in the clone is not consulted (a tunnel write sets it whatever the packet had): the snapshot
        // after the clone carries the value it goes back to as a set of its own, so the step needs nothing the
        // megaflow does not know.
        var (cached, frames) = RunBoth(
            "table=0,ip,actions=clone(set_field:0x5->tun_id,output:2),set_field:0x1/0x1->reg0,output:3",
            Tcp(), Tcp(sport: 77));
        var entry = Assert.Single(cached.CachedMegaflows);
        Assert.True(entry.InPlace);
        Assert.Equal(8, frames.Count);
    }

    [Fact]
    public void Actions_after_a_ct_without_recirculation_take_the_general_way()
    {
        var (cached, frames) = RunBoth(
            "table=0,ip,actions=ct(commit,zone=5),mod_dl_dst:02:00:00:00:00:0c,output:2",
            Tcp(), Tcp(), Tcp(sport: 5));
        Assert.Contains(cached.CachedMegaflows, e => !e.InPlace);
        Assert.Equal(6, frames.Count);
    }

    [Fact]
    public void A_rewrite_after_a_ct_nat_without_recirculation_keeps_the_translation()
    {
        // OVS's datapath runs the set() actions after ct(nat) on the translated packet: the MAC rewrite must not
        // write the pre-NAT destination back (FlowSyntaxNatClashJudgedByOvsTests judges the same with OVS).
        var (cached, frames) = RunBoth(
            "table=0,tcp,actions=ct(commit,zone=5,nat(dst=10.0.0.9:8080)),mod_dl_dst:02:00:00:00:00:0c,output:2",
            Tcp(), Tcp(), Tcp(sport: 5));
        Assert.Contains(cached.CachedMegaflows, e => !e.InPlace);
        Assert.All(frames, f => Assert.Equal("0A0000091F90", Convert.ToHexString([.. f.Frame[30..34], .. f.Frame[36..38]])));
        Assert.All(frames, f => Assert.Equal("02000000000C", Convert.ToHexString(f.Frame[0..6])));
    }

    private static byte[] Tcp(byte ttl = 64, ushort sport = 1234)
        => PacketBuilder.Tcp(A, B, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), sport, 80, TcpFlags.Ack, ttl: ttl);

    /// <summary>Runs each frame twice (the second from the cache) on a cached and an uncached node; asserts equal outputs.</summary>
    private static (Node Cached, List<(uint Port, byte[] Frame)> Frames) RunBoth(string flows, params byte[][] frames)
    {
        var cached = Build(flows, useCache: true);
        var uncached = Build(flows, useCache: false);
        var fromCache = new Sink();
        var slow = new Sink();
        for (int round = 0; round < 2; round++)
        {
            foreach (var f in frames)
            {
                cached.Process(1, f, fromCache, 1000);
                uncached.Process(1, f, slow, 1000);
            }
        }
        Assert.True(cached.CacheStats.Hits >= frames.Length, "the second round should run from the cache");
        Assert.Equal(slow.Frames.Count, fromCache.Frames.Count);
        for (int i = 0; i < slow.Frames.Count; i++)
        {
            Assert.Equal(slow.Frames[i].Port, fromCache.Frames[i].Port);
            Assert.Equal(Convert.ToHexString(slow.Frames[i].Frame), Convert.ToHexString(fromCache.Frames[i].Frame));
        }
        return (cached, fromCache.Frames);
    }

    private static Node Build(string flows, bool useCache)
    {
        var br = new Bridge();
        br.AddPort(1, "p1", A, PortKind.Pod);
        br.AddPort(2, "p2", B, PortKind.Pod);
        br.AddPort(3, "p3", B, PortKind.Pod);
        using var r = new StringReader(flows);
        br.LoadFlows(r, "test.flows");
        return new Node("n", br, Ipv4Address.Parse("192.0.2.1"), A) { UseFlowCache = useCache };
    }

    private sealed class Sink : IPacketSink
    {
        public readonly List<(uint Port, byte[] Frame)> Frames = [];

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame) => Frames.Add((port.OfPort, frame.ToArray()));
    }
}
