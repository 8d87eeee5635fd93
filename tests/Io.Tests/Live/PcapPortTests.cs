using Datapath.Io.Live;

namespace Datapath.Io.Tests.Live;

public sealed class PcapPortTests
{
    [LiveFact(NeedsPcap = true)]
    public void Ping_from_a_namespace_over_a_veth_is_answered_by_our_port()
    {
        using TestNetwork net = new();
        (string host, _) = net.AddVeth();
        using PcapPort port = PcapPort.Open(host);
        Responder responder = new();
        using LiveReceiveLoop loop = LiveReceiveLoop.Start(port, responder.OnBatch);

        (int exit, string output, string err) = net.Exec("ping", "-c", "3", "-i", "0.2", "-W", "3", TestNetwork.PeerAddress);

        Assert.True(exit == 0, $"ping over the veth failed: {output}{err}");
        Assert.True(responder.EchoRequests >= 3);
        Assert.DoesNotContain(responder.Received, f => f.AsSpan(6, 6).SequenceEqual(TestFrames.PeerMac));
    }

    [LiveFact(NeedsPcap = true)]
    public void A_filter_keeps_other_traffic_out()
    {
        using TestNetwork net = new();
        (string host, string inner) = net.AddVeth();
        net.ExecCheck("ip", "neigh", "replace", TestNetwork.PeerAddress, "lladdr", "02:00:5e:10:00:02", "dev", inner);
        using PcapPort port = PcapPort.Open(host, new PcapPortOptions { Filter = "udp port 9999" });
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

    [LiveFact(NeedsPcap = true)]
    public void Deleting_the_interface_while_reading_faults_the_port_and_ends_the_loop_quietly()
    {
        using TestNetwork net = new();
        (string host, _) = net.AddVeth();
        using PcapPort port = PcapPort.Open(host);
        TaskCompletionSource<LivePortFaultEventArgs> faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        port.Faulted += (_, e) => faulted.TrySetResult(e);
        using LiveReceiveLoop loop = LiveReceiveLoop.Start(port, (_, _) => { });

        Shell.Check("ip", "link", "del", "dev", host);

        Assert.True(loop.Completion.Wait(TimeSpan.FromSeconds(30)), "the receive loop did not end after the veth was deleted");
        Assert.Equal(LiveReceiveLoopExit.PortFaulted, loop.ExitReason);
        Assert.Equal(LivePortFaultKind.InterfaceGone, faulted.Task.Result.Kind);
        Assert.Contains(host, faulted.Task.Result.Message, StringComparison.Ordinal);
    }

    [LiveFact(NeedsPcap = true)]
    public void Sending_and_receiving_through_sharppcap_allocates_nothing_per_frame()
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair();
        using PcapPort tx = PcapPort.Open(a);
        using PcapPort rx = PcapPort.Open(b, new PcapPortOptions { BufferBytes = 16 << 20 });
        FrameBatch outgoing = new(64);
        FrameBatch incoming = new(64);
        for (int i = 0; i < 64; i++)
        {
            outgoing.TryAdd(TestFrames.Udp(TestFrames.PeerMac, TestFrames.PeerMac, TestFrames.Ip("10.77.0.1"), TestFrames.Ip("10.77.0.2"), 1000, (ushort)(2000 + i), 18));
        }

        (long warmSent, long warmReceived) = Pump(tx, rx, outgoing, incoming, 20); // JIT, first touches of libpcap's ring
        long before = GC.GetAllocatedBytesForCurrentThread();
        (long sent, long received) = Pump(tx, rx, outgoing, incoming, 200);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(warmSent > 0 && warmReceived > 0, $"warm-up moved nothing: sent {warmSent}, received {warmReceived}");
        Assert.True(sent >= 10_000, $"only {sent} frames were sent");
        Assert.True(received >= 10_000, $"only {received} of {sent} frames were received");
        Assert.True(allocated == 0, $"{allocated} bytes allocated over {sent} sends and {received} receives");
    }

    [LiveFact(NeedsPcap = true)]
    public void A_port_does_not_receive_what_it_sends()
    {
        using TestNetwork net = new();
        (string a, string b) = net.AddPair();
        using PcapPort tx = PcapPort.Open(a);
        using PcapPort rx = PcapPort.Open(b);
        byte[] frame = TestFrames.Udp(TestFrames.PeerMac, TestFrames.PeerMac, TestFrames.Ip("10.77.0.1"), TestFrames.Ip("10.77.0.2"), 1000, 9999, 18);
        FrameBatch batch = new();

        Assert.True(tx.Send(frame));
        int arrived = 0;
        for (int tries = 0; tries < 20 && arrived == 0; tries++)
        {
            arrived += rx.ReceiveBatch(batch, TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(1, arrived);
        Assert.Equal(0, tx.ReceiveBatch(batch, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(1, tx.Statistics.TxPackets);
    }

    [LiveFact(NeedsPcap = true)]
    public void A_filter_that_does_not_compile_names_the_interface_the_filter_and_libpcaps_reason()
    {
        LiveIoException ex = Assert.Throws<LiveIoException>(() => PcapPort.Open("lo", new PcapPortOptions { Filter = "udp port banana" }));

        Assert.Equal(LiveIoErrorKind.Input, ex.Kind);
        Assert.Contains("'lo'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'udp port banana'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("banana", ex.Message[(ex.Message.IndexOf("banana'", StringComparison.Ordinal) + 7)..], StringComparison.Ordinal);
    }

    [LiveFact(NeedsPcap = true)]
    public void Libpcap_lists_loopback_as_up_and_loopback()
    {
        PcapDeviceInfo lo = Assert.Single(PcapDevices.List(), d => d.Name == "lo");

        Assert.Contains("loopback", lo.Flags);
        Assert.Contains("up", lo.Flags);
        Assert.Contains("127.0.0.1/8", lo.Addresses);
    }

    private static (long Sent, long Received) Pump(PcapPort tx, PcapPort rx, FrameBatch outgoing, FrameBatch incoming, int rounds)
    {
        long sent = 0;
        long got = 0;
        for (int r = 0; r < rounds; r++)
        {
            sent += tx.SendBatch(outgoing);
            got += rx.ReceiveBatch(incoming, TimeSpan.FromMilliseconds(10));
        }

        for (int tries = 0; tries < 50 && got < sent; tries++)
        {
            int n = rx.ReceiveBatch(incoming, TimeSpan.FromMilliseconds(20));
            if (n == 0 && tries > 5)
            {
                break;
            }

            got += n;
        }

        return (sent, got);
    }

    [LiveFact(NeedsPcap = true)]
    public void Library_version_is_libpcap_1_10()
    {
        Assert.Contains("libpcap version 1.", PcapPort.LibraryVersion, StringComparison.Ordinal);
    }
}
