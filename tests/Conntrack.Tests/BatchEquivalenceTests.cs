using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>
/// ExecuteBatch must give exactly what Execute gives packet by packet: random traffic (TCP with
/// random flags and sequence numbers, UDP, ICMP echo, ICMP errors quoting tracked and untracked
/// datagrams, fragments, truncated frames) in batches of 1..70 sharing one random ct() command
/// (lookup, commit, force, mark/label, SNAT, DNAT, nat) over a small address space, so new,
/// established, reply, related and invalid packets, NAT bindings, conflicts and expiry all occur.
/// Two trackers with one seed; every flow key, frame, the table and the counters must match.
/// </summary>
public class BatchEquivalenceTests
{
    private static readonly string[] Hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Batch_execute_equals_one_by_one(int seed)
    {
        var rng = new Random(seed);
        var options = new ConntrackOptions { Seed = (ulong)seed, ConnectionLimit = 200 };
        var single = new ConnectionTracker(options);
        var batched = new ConnectionTracker(options);
        var quotable = new List<byte[]>();
        long now = 0;
        int related = 0, nat = 0, est = 0, inv = 0;
        for (int round = 0; round < 400; round++)
        {
            now += rng.Next(10) == 0 ? 40_000 : rng.Next(500);
            var cmd = RandomCommand(rng);
            int n = rng.Next(8) == 0 ? rng.Next(33, 71) : rng.Next(1, 33);
            var framesA = new byte[n][];
            var framesB = new byte[n][];
            var keysA = new FlowKey[n];
            var keysB = new FlowKey[n];
            for (int i = 0; i < n; i++)
            {
                framesA[i] = RandomFrame(rng, quotable);
                framesB[i] = (byte[])framesA[i].Clone();
                FlowKey.Extract(framesA[i], 1, out keysA[i]);
                keysB[i] = keysA[i];
            }
            for (int i = 0; i < n; i++)
                single.Execute(ref keysA[i], framesA[i], cmd, now);
            batched.ExecuteBatch(keysB, framesB, cmd, now);
            for (int i = 0; i < n; i++)
            {
                Assert.True(KeyBytes(ref keysA[i]).SequenceEqual(KeyBytes(ref keysB[i])),
                    $"round {round} packet {i}: {(CtStateFlags)keysA[i].CtState} vs {(CtStateFlags)keysB[i].CtState}");
                Assert.Equal(framesA[i], framesB[i]);
                var st = (CtStateFlags)keysA[i].CtState;
                related += (st & CtStateFlags.Related) != 0 ? 1 : 0;
                nat += (st & (CtStateFlags.SrcNat | CtStateFlags.DstNat)) != 0 ? 1 : 0;
                est += (st & CtStateFlags.Established) != 0 ? 1 : 0;
                inv += (st & CtStateFlags.Invalid) != 0 ? 1 : 0;
                if (keysA[i].NwProto == IpProtocols.Udp && keysA[i].NwFrag == 0 && rng.Next(4) == 0)
                    quotable.Add(framesA[i]);
            }
            if (quotable.Count > 64)
                quotable.RemoveRange(0, 32);
            Assert.Equal(single.Count, batched.Count);
        }
        Assert.Equal(single.Entries(), batched.Entries());
        Assert.Equal(single.Counters.ToString(), batched.Counters.ToString());
        // The traffic must have exercised every kind of result.
        Assert.True(related > 0 && nat > 0 && est > 0 && inv > 0, $"rel {related} nat {nat} est {est} inv {inv}");
    }

    [Fact]
    public void A_connection_committed_by_one_packet_is_established_for_a_later_packet_of_the_same_batch()
    {
        var t = Trackers.Ovs();
        var a = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        var b = Pkt.Udp("10.0.0.2", 2, "10.0.0.1", 1);
        FlowKey[] keys = [a.Key, b.Key];
        t.ExecuteBatch(keys, [a.Frame, b.Frame], Pkt.Commit(1), 0);
        Assert.Equal(Pkt.NewTrk, (CtStateFlags)keys[0].CtState);
        Assert.Equal(Pkt.EstRplTrk, (CtStateFlags)keys[1].CtState);
    }

    [Fact]
    public void Batch_of_established_lookups_allocates_nothing()
    {
        var t = Trackers.Ovs();
        var frames = new byte[40][];
        var keys = new FlowKey[40];
        for (int i = 0; i < frames.Length; i++)
        {
            var p = Pkt.Udp("10.0.0.1", (ushort)(1000 + i), "10.0.0.2", 53);
            frames[i] = p.Frame;
            keys[i] = p.Key;
        }
        var cmd = Pkt.Commit(1);
        t.ExecuteBatch(keys, frames, cmd, 0);
        t.ExecuteBatch(keys, frames, cmd, 1);
        long best = long.MaxValue;
        for (int round = 0; round < 3 && best != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
                t.ExecuteBatch(keys, frames, cmd, i);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, best);
        Assert.Equal(Pkt.EstTrk, (CtStateFlags)keys[39].CtState);
    }

    private static ReadOnlySpan<byte> KeyBytes(ref FlowKey k)
    {
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<FlowKey>());
        return MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref k, 1));
    }

    private static CtCommand RandomCommand(Random rng)
    {
        ushort zone = (ushort)(1 + rng.Next(2));
        var cmd = new CtCommand(zone, commit: rng.Next(3) != 0);
        if (cmd.Commit && rng.Next(6) == 0)
            cmd.Force = true;
        if (cmd.Commit && rng.Next(3) == 0)
        {
            cmd.Mark = (uint)rng.Next(4);
            cmd.MarkMask = 0xff;
            cmd.Label = (UInt128)rng.Next(4) << 64;
            cmd.LabelMask = UInt128.MaxValue;
        }
        cmd.Nat = rng.Next(5) switch
        {
            0 => NatSpec.Dnat(Ipv4Address.Parse("10.0.0.9"), 80),
            1 => NatSpec.Snat(Ipv4Address.Parse("10.0.0.8")),
            2 => NatSpec.ApplyExisting,
            _ => null,
        };
        return cmd;
    }

    private static byte[] RandomFrame(Random rng, List<byte[]> quotable)
    {
        string src = Hosts[rng.Next(Hosts.Length)], dst = Hosts[rng.Next(Hosts.Length)];
        ushort sp = (ushort)(rng.Next(3) == 0 ? 80 : 1000 + rng.Next(4));
        ushort dp = (ushort)(rng.Next(3) == 0 ? 80 : 1000 + rng.Next(4));
        switch (rng.Next(10))
        {
            case 0:
            case 1:
            case 2:
                {
                    TcpFlags[] choices = [TcpFlags.Syn, TcpFlags.Syn | TcpFlags.Ack, TcpFlags.Ack, TcpFlags.Fin | TcpFlags.Ack, TcpFlags.Rst, 0, TcpFlags.Ack | TcpFlags.Psh];
                    var flags = choices[rng.Next(choices.Length)];
                    uint seq = (uint)(100 + rng.Next(4) * 100), ack = (uint)(100 + rng.Next(4) * 100);
                    return Pkt.Tcp(src, sp, dst, dp, flags, seq, ack, payload: rng.Next(2) * 10).Frame;
                }
            case 3:
            case 4:
            case 5:
                return Pkt.Udp(src, sp, dst, dp).Frame;
            case 6:
                return Pkt.Echo(src, dst, rng.Next(2) == 0, (ushort)rng.Next(3)).Frame;
            case 7:
                if (quotable.Count > 0)
                {
                    // Port unreachable quoting a datagram seen (maybe NATed), from its destination back to its source.
                    var q = quotable[rng.Next(quotable.Count)];
                    FlowKey.Extract(q, 1, out var qk);
                    var quoted = q.AsSpan(qk.Layout.L3Offset).ToArray();
                    return PacketBuilder.Icmp(Pkt.MacB, Pkt.MacA, new Ipv4Address(qk.NwDst), new Ipv4Address(qk.NwSrc), 3, 3, 0, quoted);
                }
                return Pkt.Echo(src, dst, false, 1).Frame;
            case 8:
                {
                    var p = Pkt.Udp(src, sp, dst, dp);
                    p.Frame[p.Key.Layout.L3Offset + 6] = 0x20; // MF: a fragment, +inv
                    return p.Frame;
                }
            default:
                {
                    var p = Pkt.Tcp(src, sp, dst, dp, TcpFlags.Syn);
                    return p.Frame.AsSpan(0, p.Key.Layout.L4Offset + 8).ToArray(); // truncated TCP header, +inv
                }
        }
    }
}
