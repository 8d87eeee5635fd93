using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Datapath.Io.Live;

namespace Datapath.Io.Tests.Live;

/// <summary>
/// The AF_PACKET port's PACKET_MMAP rings (TPACKET_V3 / TPACKET_V2 receive, TPACKET_V2 transmit):
/// frames through the rings judged by tcpdump on the peer, many wrap-arounds of small rings,
/// truncated and oversize frames counted, the recvmmsg fallback, no allocation per batch.
/// </summary>
public sealed class AfPacketRingTests
{
    private const ushort TestEtherType = 0x88b5; // IEEE 802 local experimental: no stack on the pair reacts to it

    private static AfPacketPortOptions Ring(AfPacketRxRing ring) => ring switch
    {
        // Small rings so a few thousand frames wrap them many times.
        AfPacketRxRing.V3 => new AfPacketPortOptions { RxRing = ring, RxBlockBytes = 4096, RxBlockCount = 8, TxFrameCount = 8 },
        AfPacketRxRing.V2 => new AfPacketPortOptions { RxRing = ring, RxFrameBytes = 2048, RxFrameCount = 8, TxFrameCount = 8 },
        _ => new AfPacketPortOptions { RxRing = ring, TxRing = false },
    };

    /// <summary>A frame of the test EtherType carrying sequence number <paramref name="seq"/> and a pattern derived from it.</summary>
    private static byte[] Sequenced(int seq, int length)
    {
        byte[] f = new byte[length];
        Convert.FromHexString("02005e100002" + "02005e100001").CopyTo(f, 0);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), TestEtherType);
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(14), seq);
        for (int i = 18; i < length; i++)
        {
            f[i] = (byte)(seq * 31 + i);
        }

        return f;
    }

    [LiveFact]
    public void Frames_sent_through_the_transmit_ring_arrive_intact_on_the_peer_judged_by_tcpdump()
    {
        string tcpdump = ExternalTools.Require("tcpdump", "tcpdump");
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        byte[] innerMac = Convert.FromHexString(net.InnerMac(inner).Replace(":", string.Empty, StringComparison.Ordinal));
        using AfPacketPort port = AfPacketPort.Open(host, new AfPacketPortOptions { QdiscBypass = true });
        Assert.True(port.UsesTxRing, port.RingFallbackReason);
        Assert.Equal(AfPacketRxRing.V3, port.RxRing);

        // 200 UDP frames of 60..1514 bytes (every one different), 190 in SendBatch calls and 10 with Send.
        List<byte[]> frames = [];
        for (int i = 0; i < 200; i++)
        {
            int payload = 18 + (i * 7919 % 1455);
            frames.Add(TestFrames.Udp(innerMac, TestFrames.PeerMac, TestFrames.Ip(TestNetwork.PeerAddress), TestFrames.Ip(TestNetwork.NamespaceAddress), (ushort)(20000 + i), 9, payload));
        }

        string file = Path.Combine(Path.GetTempPath(), $"dpring-{net.Id}.pcap");
        long rxBefore = net.InnerCounter(inner, "rx_packets");
        using Process capture = StartCapture(tcpdump, net, inner, file, frames.Count);
        try
        {
            FrameBatch batch = new(64);
            int index = 0;
            while (index < 190)
            {
                batch.Clear();
                while (index < 190 && batch.TryAdd(frames[index]))
                {
                    index++;
                }

                Assert.Equal(batch.Count, port.SendBatch(batch));
            }

            for (; index < frames.Count; index++)
            {
                Assert.True(port.Send(frames[index]));
            }

            if (!capture.WaitForExit(30_000))
            {
                capture.Kill();
                capture.WaitForExit();
                Assert.Fail($"tcpdump saw {ReadWithTcpdump(tcpdump, file).Count} of {frames.Count} frames in 30 s; the namespace's rx_packets grew by {net.InnerCounter(inner, "rx_packets") - rxBefore}; port {port.Statistics}");
            }
        }
        finally
        {
            if (!capture.HasExited)
            {
                capture.Kill();
            }
        }

        // The judge: tcpdump reads its own capture back and prints every frame's bytes.
        List<byte[]> seen = ReadWithTcpdump(tcpdump, file);
        File.Delete(file);
        Assert.Equal(frames.Count, seen.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.True(frames[i].AsSpan().SequenceEqual(seen[i]), $"frame {i} ({frames[i].Length} bytes) differs on the wire: {Convert.ToHexString(seen[i])}");
        }

        Assert.Equal(frames.Count, port.Statistics.TxPackets);
        Assert.Equal(frames.Sum(f => (long)f.Length), port.Statistics.TxBytes);
        Assert.Equal(0, port.Statistics.Errors);
    }

    private static Process StartCapture(string tcpdump, TestNetwork net, string link, string file, int count)
    {
        ProcessStartInfo psi = new("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "netns", "exec", net.Namespace, tcpdump, "-i", link, "-Q", "in", "-B", "32768", "-s", "0",
                     "-c", count.ToString(CultureInfo.InvariantCulture), "-w", file, "udp" })
        {
            psi.ArgumentList.Add(a);
        }

        Process p = Process.Start(psi)!;
        TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        StringBuilder err = new();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (err)
            {
                err.AppendLine(e.Data);
            }

            if (e.Data.Contains("listening on", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        p.BeginErrorReadLine();
        if (!listening.Task.Wait(TimeSpan.FromSeconds(20)))
        {
            p.Kill();
            throw new InvalidOperationException("tcpdump did not start listening: " + err);
        }

        return p;
    }

    /// <summary>`tcpdump -r FILE -xx`: every frame's bytes as tcpdump decodes the file.</summary>
    private static List<byte[]> ReadWithTcpdump(string tcpdump, string file)
    {
        string text = ExternalTools.Run(tcpdump, "-r", file, "-nn", "-xx");
        List<byte[]> frames = [];
        StringBuilder? hex = null;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith('\t') && line.TrimStart().StartsWith("0x", StringComparison.Ordinal))
            {
                string bytes = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..];
                hex?.Append(bytes.Replace(" ", string.Empty, StringComparison.Ordinal).Trim());
            }
            else if (line.Length > 0)
            {
                if (hex is not null)
                {
                    frames.Add(Convert.FromHexString(hex.ToString()));
                }

                hex = new StringBuilder();
            }
        }

        if (hex is not null)
        {
            frames.Add(Convert.FromHexString(hex.ToString()));
        }

        return frames;
    }

    [LiveTheory]
    [InlineData(AfPacketRxRing.V3)]
    [InlineData(AfPacketRxRing.V2)]
    [InlineData(AfPacketRxRing.None)]
    public void Small_rings_wrap_around_many_times_without_losing_or_reordering_a_frame(AfPacketRxRing ring)
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair();
        using AfPacketPort tx = AfPacketPort.Open(a, Ring(ring));
        using AfPacketPort rx = AfPacketPort.Open(b, Ring(ring));
        Assert.Equal(ring, rx.RxRing);
        Assert.Equal(ring != AfPacketRxRing.None, tx.UsesTxRing);

        FrameBatch outgoing = new(32);
        FrameBatch incoming = new(16); // smaller than a round: frames of one V3 block span several receives
        const int Total = 3000;
        int sent = 0, expected = 0;
        for (int round = 0; sent < Total; round++)
        {
            outgoing.Clear();
            // 1..16 frames: partial blocks and exact fills. Frames lent to `incoming` stay ours until the next receive,
            // so a round must fit the ring less one batch (V2: 32 frames - 16; V3: 8 blocks of 11..19 frames - 3).
            int k = Math.Min(1 + (round * 7 % 16), Total - sent);
            for (int i = 0; i < k; i++)
            {
                Assert.True(outgoing.TryAdd(Sequenced(sent + i, 60 + ((sent + i) % 140))));
            }

            Assert.Equal(k, tx.SendBatch(outgoing));
            sent += k;
            for (int tries = 0; expected < sent && tries < 100; tries++)
            {
                rx.ReceiveBatch(incoming, TimeSpan.FromMilliseconds(100));
                for (int i = 0; i < incoming.Count; i++)
                {
                    ReadOnlySpan<byte> f = incoming[i];
                    if (TestFrames.EtherType(f) != TestEtherType)
                    {
                        continue;
                    }

                    int seq = BinaryPrimitives.ReadInt32BigEndian(f[14..]);
                    Assert.Equal(expected, seq);
                    Assert.True(f.SequenceEqual(Sequenced(seq, 60 + (seq % 140))), $"frame {seq} was altered");
                    expected++;
                }
            }

            Assert.Equal(sent, expected);
        }

        LivePortStatistics stats = rx.Statistics;
        Assert.Equal(Total, stats.RxPackets);
        Assert.Equal(0, stats.RxDropped);
        Assert.Equal(Total, tx.Statistics.TxPackets);
    }

    [LiveTheory]
    [InlineData(AfPacketRxRing.V3)]
    [InlineData(AfPacketRxRing.V2)]
    [InlineData(AfPacketRxRing.None)]
    public void A_frame_longer_than_the_batch_slot_is_a_counted_truncation_and_the_others_arrive(AfPacketRxRing ring)
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair(mtu: 4000);
        using AfPacketPort tx = AfPacketPort.Open(a, new AfPacketPortOptions { RxRing = ring, TxRing = ring != AfPacketRxRing.None });
        using AfPacketPort rx = AfPacketPort.Open(b, new AfPacketPortOptions { RxRing = ring });
        FrameBatch outgoing = new(4, 4096);
        outgoing.TryAdd(Sequenced(0, 100));
        outgoing.TryAdd(Sequenced(1, 3000)); // fits the 4000-byte MTU, not a 2048-byte batch slot
        outgoing.TryAdd(Sequenced(2, 100));
        Assert.Equal(3, tx.SendBatch(outgoing));

        List<int> seqs = ReceiveSequences(rx, new FrameBatch(16, 2048), 2);

        Assert.Equal([0, 2], seqs);
        Assert.Equal(1, rx.Statistics.RxTruncated);
        Assert.True(rx.Statistics.RxDropped >= 1);
    }

    [LiveFact]
    public void A_frame_larger_than_a_v3_block_is_cut_by_the_kernel_and_counted()
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair(mtu: 9000);
        using AfPacketPort tx = AfPacketPort.Open(a);
        // Blocks of one page: a 5000-byte frame does not fit, the kernel cuts it (tp_snaplen < tp_len).
        using AfPacketPort rx = AfPacketPort.Open(b, new AfPacketPortOptions { RxRing = AfPacketRxRing.V3, RxBlockBytes = 4096, RxBlockCount = 8 });
        Assert.Equal(AfPacketRxRing.V3, rx.RxRing);
        Assert.True(tx.Send(Sequenced(0, 5000)));
        Assert.True(tx.Send(Sequenced(1, 80)));

        List<int> seqs = ReceiveSequences(rx, new FrameBatch(16, 9100), 1);

        Assert.Equal([1], seqs);
        Assert.Equal(1, rx.Statistics.RxTruncated);
    }

    [LiveFact]
    public void V2_slots_grow_to_the_mtu_so_a_jumbo_frame_arrives_whole()
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair(mtu: 9000);
        using AfPacketPort tx = AfPacketPort.Open(a);
        // 2 KiB slots asked for; a 9000-byte MTU needs 16 KiB ones (the ring keeps its size with fewer slots).
        using AfPacketPort rx = AfPacketPort.Open(b, new AfPacketPortOptions { RxRing = AfPacketRxRing.V2, RxFrameBytes = 2048 });
        Assert.Equal(AfPacketRxRing.V2, rx.RxRing);
        byte[] jumbo = Sequenced(0, 9014);
        Assert.True(tx.Send(jumbo));

        FrameBatch batch = new(16, 9100);
        List<byte[]> got = [];
        for (int tries = 0; tries < 20 && got.Count == 0; tries++)
        {
            rx.ReceiveBatch(batch, TimeSpan.FromMilliseconds(100));
            for (int i = 0; i < batch.Count; i++)
            {
                if (TestFrames.EtherType(batch[i]) == TestEtherType)
                {
                    got.Add(batch[i].ToArray());
                }
            }
        }

        Assert.Equal(jumbo, Assert.Single(got));
        Assert.Equal(0, rx.Statistics.RxTruncated);
    }

    [LiveFact]
    public void A_frame_over_the_mtu_is_refused_by_the_transmit_ring_and_counted_as_an_error()
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair(mtu: 1500);
        using AfPacketPort tx = AfPacketPort.Open(a);
        using AfPacketPort rx = AfPacketPort.Open(b);
        Assert.True(tx.UsesTxRing);
        FrameBatch outgoing = new(4, 4096);
        outgoing.TryAdd(Sequenced(0, 1514));  // MTU + Ethernet header: the largest untagged frame
        outgoing.TryAdd(Sequenced(1, 1600));  // too long for a 1500-byte MTU
        outgoing.TryAdd(Sequenced(2, 60));

        Assert.Equal(2, tx.SendBatch(outgoing));
        Assert.False(tx.Send(Sequenced(3, 1515)));

        Assert.Equal([0, 2], ReceiveSequences(rx, new FrameBatch(16), 2));
        Assert.Equal(2, tx.Statistics.Errors);
        Assert.Equal(2, tx.Statistics.TxPackets);
    }

    [LiveFact]
    public void A_ring_the_kernel_refuses_falls_back_to_recvmmsg()
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair();
        using AfPacketPort tx = AfPacketPort.Open(a);
        // 5000 bytes is not a multiple of the page size: setsockopt(PACKET_RX_RING) fails with EINVAL.
        using AfPacketPort rx = AfPacketPort.Open(b, new AfPacketPortOptions { RxBlockBytes = 5000 });

        Assert.Equal(AfPacketRxRing.None, rx.RxRing);
        Assert.Contains("PACKET_RX_RING", rx.RingFallbackReason, StringComparison.Ordinal);
        Assert.Contains("EINVAL", rx.RingFallbackReason, StringComparison.Ordinal);
        Assert.True(tx.Send(Sequenced(7, 64)));
        Assert.Equal([7], ReceiveSequences(rx, new FrameBatch(), 1));
    }

    [LiveTheory]
    [InlineData(AfPacketRxRing.V3)]
    [InlineData(AfPacketRxRing.V2)]
    public void Sending_and_receiving_through_the_rings_allocates_nothing(AfPacketRxRing ring)
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair();
        using AfPacketPort tx = AfPacketPort.Open(a, new AfPacketPortOptions { RxRing = ring, QdiscBypass = true });
        using AfPacketPort rx = AfPacketPort.Open(b, new AfPacketPortOptions { RxRing = ring, RxBlockBytes = 4096 });
        FrameBatch outgoing = new(64);
        FrameBatch incoming = new(64);
        for (int i = 0; i < 64; i++)
        {
            outgoing.TryAdd(Sequenced(i, 60));
        }

        long received = Pump(tx, rx, outgoing, incoming, 20); // warm up: JIT, first touches of the rings
        long before = GC.GetAllocatedBytesForCurrentThread();
        received += Pump(tx, rx, outgoing, incoming, 200);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(received > 0);
    }

    private static long Pump(AfPacketPort tx, AfPacketPort rx, FrameBatch outgoing, FrameBatch incoming, int rounds)
    {
        long got = 0;
        for (int r = 0; r < rounds; r++)
        {
            tx.SendBatch(outgoing);
            got += rx.ReceiveBatch(incoming, TimeSpan.FromMilliseconds(10));
            for (int i = 0; i < incoming.Count; i++)
            {
                got += incoming[i][14] & 0; // read every frame in place
            }
        }

        return got;
    }

    private static List<int> ReceiveSequences(AfPacketPort rx, FrameBatch batch, int want)
    {
        List<int> seqs = [];
        for (int tries = 0; tries < 30 && seqs.Count < want; tries++)
        {
            rx.ReceiveBatch(batch, TimeSpan.FromMilliseconds(100));
            for (int i = 0; i < batch.Count; i++)
            {
                if (TestFrames.EtherType(batch[i]) == TestEtherType)
                {
                    seqs.Add(BinaryPrimitives.ReadInt32BigEndian(batch[i][14..]));
                }
            }
        }

        // A little longer, to catch a frame that should not have arrived.
        rx.ReceiveBatch(batch, TimeSpan.FromMilliseconds(50));
        for (int i = 0; i < batch.Count; i++)
        {
            if (TestFrames.EtherType(batch[i]) == TestEtherType)
            {
                seqs.Add(BinaryPrimitives.ReadInt32BigEndian(batch[i][14..]));
            }
        }

        return seqs;
    }
}
