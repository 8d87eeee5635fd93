using Datapath.Io.Live;

namespace Datapath.Io.Tests.Live;

public sealed class AfPacketPortTests
{
    [LiveFact]
    public void Ping_from_a_namespace_over_a_veth_is_answered_by_our_port()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        using AfPacketPort port = AfPacketPort.Open(host);
        Responder responder = new();
        using LiveReceiveLoop loop = LiveReceiveLoop.Start(port, responder.OnBatch);

        (int exit, string output, string err) = net.Exec("ping", "-c", "3", "-i", "0.2", "-W", "3", TestNetwork.PeerAddress);

        Assert.True(exit == 0, $"ping over the veth failed: {output}{err}");
        Assert.True(responder.ArpRequests >= 1);
        Assert.True(responder.EchoRequests >= 3);
        // The namespace learned our MAC from the ARP reply we injected.
        Assert.Contains("02:00:5e:10:00:02", net.ExecCheck("ip", "neigh", "show", TestNetwork.PeerAddress), StringComparison.Ordinal);
        // PACKET_IGNORE_OUTGOING: none of our own replies came back to us.
        Assert.DoesNotContain(responder.Received, f => f.AsSpan(6, 6).SequenceEqual(TestFrames.PeerMac));
        _ = inner;
    }

    [LiveFact]
    public void Udp_from_the_namespace_arrives_with_its_partial_checksum_completed()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        net.ExecCheck("ip", "neigh", "replace", TestNetwork.PeerAddress, "lladdr", "02:00:5e:10:00:02", "dev", inner);
        using AfPacketPort port = AfPacketPort.Open(host, new AfPacketPortOptions { Filter = "udp port 9999" });
        FrameBatch batch = new();

        net.ExecCheck("python3", "-c",
            "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); [s.sendto(b'x'*100, ('10.77.0.2', 9999)) for _ in range(5)]");

        List<byte[]> frames = [];
        for (int tries = 0; tries < 50 && frames.Count < 5; tries++)
        {
            port.ReceiveBatch(batch, TimeSpan.FromMilliseconds(100));
            for (int i = 0; i < batch.Count; i++)
            {
                frames.Add(batch[i].ToArray());
            }
        }

        Assert.Equal(5, frames.Count);
        Assert.All(frames, f => Assert.True(TestFrames.IsUdpTo(f, 9999)));
        Assert.All(frames, f => Assert.True(TestFrames.L4ChecksumValid(f), "UDP checksum of a received frame does not verify: " + Convert.ToHexString(f)));
    }

    [LiveFact]
    public void A_filter_keeps_other_traffic_out()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        net.ExecCheck("ip", "neigh", "replace", TestNetwork.PeerAddress, "lladdr", "02:00:5e:10:00:02", "dev", inner);
        using AfPacketPort port = AfPacketPort.Open(host, new AfPacketPortOptions { Filter = "udp port 9999" });
        FrameBatch batch = new();

        net.Exec("ping", "-c", "2", "-i", "0.2", "-W", "1", TestNetwork.PeerAddress);
        net.ExecCheck("python3", "-c",
            "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'y', ('10.77.0.2', 9998)); s.sendto(b'x', ('10.77.0.2', 9999))");

        List<byte[]> frames = [];
        for (int tries = 0; tries < 10; tries++)
        {
            port.ReceiveBatch(batch, TimeSpan.FromMilliseconds(100));
            for (int i = 0; i < batch.Count; i++)
            {
                frames.Add(batch[i].ToArray());
            }
        }

        byte[] only = Assert.Single(frames);
        Assert.True(TestFrames.IsUdpTo(only, 9999));
    }

    [LiveFact]
    public void SendBatch_frames_arrive_in_the_namespace()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        byte[] innerMac = Convert.FromHexString(net.InnerMac(inner).Replace(":", string.Empty, StringComparison.Ordinal));
        using AfPacketPort port = AfPacketPort.Open(host);
        FrameBatch batch = new(32);
        byte[] frame = TestFrames.Udp(innerMac, TestFrames.PeerMac, TestFrames.Ip(TestNetwork.PeerAddress), TestFrames.Ip(TestNetwork.NamespaceAddress), 5000, 7, 18);
        while (batch.TryAdd(frame))
        {
        }

        long before = net.InnerCounter(inner, "rx_packets");
        int sent = port.SendBatch(batch);
        long after = net.InnerCounter(inner, "rx_packets");

        Assert.Equal(32, sent);
        Assert.Equal(32, after - before);
        Assert.Equal(32, port.Statistics.TxPackets);
        Assert.Equal(32L * frame.Length, port.Statistics.TxBytes);
    }

    [LiveFact]
    public void Deleting_the_interface_while_reading_faults_the_port_and_ends_the_loop_quietly()
    {
        using TestNetwork net = new();
        (string host, _) = net.AddVeth();
        using AfPacketPort port = AfPacketPort.Open(host);
        TaskCompletionSource<LivePortFaultEventArgs> faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        port.Faulted += (_, e) => faulted.TrySetResult(e);
        using LiveReceiveLoop loop = LiveReceiveLoop.Start(port, (_, _) => { });

        Shell.Check("ip", "link", "del", "dev", host);

        Assert.True(loop.Completion.Wait(TimeSpan.FromSeconds(30)), "the receive loop did not end after the veth was deleted");
        Assert.Equal(LiveReceiveLoopExit.PortFaulted, loop.ExitReason);
        LivePortFaultEventArgs fault = faulted.Task.Result;
        Assert.Equal(LivePortFaultKind.InterfaceGone, fault.Kind);
        Assert.Contains(host, fault.Message, StringComparison.Ordinal);
        Assert.False(port.Send(new byte[60]));
    }

    [LiveFact]
    public void A_vlan_tag_the_kernel_moved_out_of_band_is_put_back_into_the_frame()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        using AfPacketPort port = AfPacketPort.Open(host);
        FrameBatch batch = new();
        // An 802.1Q frame (IEEE 802.1Q: TPID 0x8100, PCP 3, VID 100) carrying 46 bytes of 0x5a under EtherType 0x88b5
        // (IEEE local experimental). The receiving veth strips the tag into skb->vlan_tci before packet taps run.
        string hex = "02005e100002" + "02005e100001" + "8100" + "6064" + "88b5" + string.Concat(Enumerable.Repeat("5a", 46));
        net.ExecCheck("python3", "-c",
            $"import socket; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('{inner}', 0)); s.send(bytes.fromhex('{hex}'))");

        byte[]? received = null;
        for (int tries = 0; tries < 20 && received is null; tries++)
        {
            port.ReceiveBatch(batch, TimeSpan.FromMilliseconds(100));
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch[i].Length >= 18 && batch[i][6..12].SequenceEqual(Convert.FromHexString("02005e100001")))
                {
                    received = batch[i].ToArray();
                }
            }
        }

        Assert.NotNull(received);
        Assert.Equal(hex, Convert.ToHexStringLower(received));
    }

    /// <summary>
    /// A link that goes down is not a fault (it may come back). The kernel reports ENETDOWN once,
    /// when the link goes down; a later deletion reports nothing more. A port that saw the link go
    /// down must still notice the deletion (the race behind a deletion whose ENETDOWN arrives while
    /// the device still has its name).
    /// </summary>
    [LiveFact]
    public void Link_down_is_not_a_fault_but_deleting_the_interface_then_is()
    {
        using TestNetwork net = new();
        (string host, _) = net.AddVeth();
        using AfPacketPort port = AfPacketPort.Open(host);
        FrameBatch batch = new();

        Shell.Check("ip", "link", "set", "dev", host, "down");
        port.ReceiveBatch(batch, TimeSpan.FromMilliseconds(50));
        port.ReceiveBatch(batch, TimeSpan.FromMilliseconds(50));
        Assert.Null(port.Fault);

        Shell.Check("ip", "link", "del", "dev", host);
        for (int i = 0; i < 100 && port.Fault is null; i++)
            port.ReceiveBatch(batch, TimeSpan.FromMilliseconds(50));

        Assert.NotNull(port.Fault);
        Assert.Equal(LivePortFaultKind.InterfaceGone, port.Fault.Kind);
        Assert.Contains(host, port.Fault.Message, StringComparison.Ordinal);
    }

    [LiveFact]
    public void Opening_a_missing_interface_names_it_and_the_errno()
    {
        LiveIoException ex = Assert.Throws<LiveIoException>(() => AfPacketPort.Open("dpnosuch0"));
        Assert.Equal(LiveIoErrorKind.Environment, ex.Kind);
        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("'dpnosuch0'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ENODEV", ex.Message, StringComparison.Ordinal);
    }

    [LiveFact(NeedsPcap = true)]
    public void A_filter_that_does_not_compile_is_an_input_error()
    {
        LiveIoException ex = Assert.Throws<LiveIoException>(() => AfPacketPort.Open("lo", new AfPacketPortOptions { Filter = "udp port banana" }));
        Assert.Equal(LiveIoErrorKind.Input, ex.Kind);
        Assert.Contains("udp port banana", ex.Message, StringComparison.Ordinal);
    }

    [LiveFact]
    public void Sockets_of_one_fanout_group_share_the_interfaces_flows_each_flow_on_one()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        net.ExecCheck("ip", "neigh", "replace", TestNetwork.PeerAddress, "lladdr", "02:00:5e:10:00:02", "dev", inner, "nud", "permanent");
        using AfPacketPort first = AfPacketPort.Open(host, new AfPacketPortOptions { Fanout = true, Filter = "udp port 9999" });
        Assert.NotNull(first.FanoutId);
        using AfPacketPort second = AfPacketPort.Open(host, new AfPacketPortOptions { Fanout = true, FanoutId = first.FanoutId, Filter = "udp port 9999" });
        Assert.Equal(first.FanoutId, second.FanoutId);

        SendFlows(net, flows: 32, perFlow: 3);
        var seen = ReadFlows([first, second], expected: 96);

        Assert.Equal(96, seen.Sum(s => s.Count)); // each frame to exactly one socket of the group
        Assert.All(seen, s => Assert.NotEmpty(s));
        Assert.Empty(seen[0].Intersect(seen[1]));
    }

    /// <summary>Sends <paramref name="perFlow"/> datagrams from each of <paramref name="flows"/> UDP sockets (one source port each) in the namespace to the peer's port 9999.</summary>
    internal static void SendFlows(TestNetwork net, int flows, int perFlow) => net.ExecCheck("python3", "-c",
        $"import socket\nss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range({flows})]\nfor _ in range({perFlow}):\n    for s in ss:\n        s.sendto(b'x' * 32, ('{TestNetwork.PeerAddress}', 9999))");

    /// <summary>Reads every queue until <paramref name="expected"/> UDP frames to port 9999 arrived (or 5 s passed); returns queue → source ports seen.</summary>
    internal static List<ushort>[] ReadFlows(IReadOnlyList<ILivePort> queues, int expected)
    {
        var seen = queues.Select(_ => new List<ushort>()).ToArray();
        FrameBatch batch = new();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (seen.Sum(s => s.Count) < expected && DateTime.UtcNow < deadline)
        {
            for (int q = 0; q < queues.Count; q++)
            {
                queues[q].ReceiveBatch(batch, TimeSpan.FromMilliseconds(20));
                for (int i = 0; i < batch.Count; i++)
                {
                    var f = batch[i];
                    if (TestFrames.IsUdpTo(f, 9999))
                        seen[q].Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(f[(14 + 20)..]));
                }
            }
        }
        return seen;
    }
}
