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
    public void Library_version_is_libpcap_1_10()
    {
        Assert.Contains("libpcap version 1.", PcapPort.LibraryVersion, StringComparison.Ordinal);
    }
}
