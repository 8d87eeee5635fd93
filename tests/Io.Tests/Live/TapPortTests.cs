using Datapath.Io.Live;
using Datapath.Packets;

namespace Datapath.Io.Tests.Live;

public sealed class TapPortTests
{
    [LiveFact]
    public void Open_creates_a_tap_with_mtu_mac_and_link_up_and_dispose_removes_it()
    {
        string name = "dp" + Guid.NewGuid().ToString("N")[..6] + "t";
        MacAddress mac = MacAddress.Parse("02:00:5e:aa:bb:cc");
        using (TapPort tap = TapPort.Open(new TapPortOptions { Name = name, Mtu = 1400, MacAddress = mac }))
        {
            Assert.Equal(name, tap.Name);
            Assert.True(tap.Created);
            Assert.Equal(LivePortBackend.Tap, tap.Backend);
            string link = Shell.Check("ip", "-o", "link", "show", "dev", name);
            Assert.Contains("mtu 1400", link, StringComparison.Ordinal);
            Assert.Contains("02:00:5e:aa:bb:cc", link, StringComparison.Ordinal);
            Assert.Contains(",UP", link, StringComparison.Ordinal);
            Assert.Contains("tun", Shell.Check("ip", "-o", "-d", "link", "show", "dev", name), StringComparison.Ordinal);
        }

        Assert.NotEqual(0, Shell.Run("ip", "link", "show", "dev", name).Exit);
    }

    [LiveFact]
    public void Persistent_tap_we_created_is_still_removed_on_dispose()
    {
        string name = "dp" + Guid.NewGuid().ToString("N")[..6] + "p";
        using (TapPort tap = TapPort.Open(new TapPortOptions { Name = name, Persistent = true }))
        {
            Assert.Equal(0, Shell.Run("ip", "link", "show", "dev", name).Exit);
        }

        Assert.NotEqual(0, Shell.Run("ip", "link", "show", "dev", name).Exit);
    }

    [LiveFact]
    public void Kernel_picks_a_name_when_none_is_given()
    {
        using TapPort tap = TapPort.Open(new TapPortOptions { BringUp = false });
        Assert.StartsWith("tap", tap.Name, StringComparison.Ordinal);
        Assert.Equal(0, Shell.Run("ip", "link", "show", "dev", tap.Name).Exit);
    }

    [LiveFact]
    public void Ping_from_a_namespace_through_the_tap_is_answered_by_our_port()
    {
        using TestNetwork net = new();
        using TapPort tap = TapPort.Open(new TapPortOptions { Name = net.LinkName("t") });
        net.MoveIn(tap.Name); // works while we hold the fd
        Responder responder = new();
        using LiveReceiveLoop loop = LiveReceiveLoop.Start(tap, responder.OnBatch);

        (int exit, string output, string err) = net.Exec("ping", "-c", "3", "-i", "0.2", "-W", "3", TestNetwork.PeerAddress);

        Assert.True(exit == 0, $"ping through the TAP failed: {output}{err}");
        Assert.True(responder.ArpRequests >= 1);
        Assert.True(responder.EchoRequests >= 3);
        loop.Stop();
        LivePortStatistics stats = tap.Statistics;
        Assert.True(stats.RxPackets >= 4);
        Assert.True(stats.TxPackets >= 4);
        Assert.Equal(LiveReceiveLoopExit.Stopped, loop.ExitReason);
        Assert.Null(tap.Fault);
    }

    /// <summary>
    /// A pod floods a TAP nobody reads: the kernel drops what its queue cannot hold (the device's
    /// tx_dropped, in the pod's namespace, under the name eth0) and the port counts it as RxDropped.
    /// </summary>
    [LiveFact]
    public void What_the_kernel_drops_on_the_taps_queue_is_counted_even_in_a_pods_namespace()
    {
        using TestNetwork net = new();
        // Down until it is in the namespace (IPv6 off there), so the host sends nothing into it.
        using TapPort tap = TapPort.Open(new TapPortOptions { Name = net.LinkName("q"), BringUp = false });
        net.MoveIn(tap.Name);
        net.ExecCheck("ip", "link", "set", "dev", tap.Name, "name", "eth0");
        net.ExecCheck("ip", "link", "set", "dev", "eth0", "up");
        net.ExecCheck("ip", "neigh", "replace", TestNetwork.PeerAddress, "lladdr", "02:00:00:00:00:02", "dev", "eth0", "nud", "permanent");
        // The port mirrors the device's counter from the start, whatever the kernel dropped while the
        // device came up in the host's namespace and moved (CI once saw 1 there).
        long before = net.InnerCounter("eth0", "tx_dropped");
        Assert.Equal(before, tap.Statistics.RxDropped);

        net.ExecCheck("python3", "-c",
            $"import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor _ in range(3000):\n    s.sendto(b'x' * 64, ('{TestNetwork.PeerAddress}', 9))");

        long kernel = net.InnerCounter("eth0", "tx_dropped");
        Assert.True(kernel > before, "the kernel dropped nothing on a TAP nobody read");
        Assert.Equal(kernel, tap.Statistics.RxDropped);
        Assert.Equal(kernel, tap.Statistics.RxDropped);
    }

    [LiveFact]
    public void Deleting_the_tap_while_reading_faults_the_port_and_ends_the_loop_quietly()
    {
        string name = "dp" + Guid.NewGuid().ToString("N")[..6] + "d";
        using TapPort tap = TapPort.Open(new TapPortOptions { Name = name });
        TaskCompletionSource<LivePortFaultEventArgs> faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        tap.Faulted += (_, e) => faulted.TrySetResult(e);
        using LiveReceiveLoop loop = LiveReceiveLoop.Start(tap, (_, _) => { });

        Shell.Check("ip", "link", "del", "dev", name);

        Assert.True(loop.Completion.Wait(TimeSpan.FromSeconds(30)), "the receive loop did not end after the TAP was deleted");
        Assert.Equal(LiveReceiveLoopExit.PortFaulted, loop.ExitReason);
        Assert.True(faulted.Task.IsCompleted);
        LivePortFaultEventArgs fault = faulted.Task.Result;
        Assert.Equal(LivePortFaultKind.InterfaceGone, fault.Kind);
        Assert.Contains(name, fault.Message, StringComparison.Ordinal);
        Assert.False(tap.Send(new byte[60]));
        Assert.Equal(0, tap.ReceiveBatch(new FrameBatch(), TimeSpan.Zero));
    }

    [Fact]
    public void A_name_longer_than_15_bytes_is_an_input_error()
    {
        LiveIoException ex = Assert.Throws<LiveIoException>(() => TapPort.Open(new TapPortOptions { Name = "averyveryverylongname" }));
        Assert.Equal(LiveIoErrorKind.Input, ex.Kind);
        Assert.Equal(1, ex.ExitCode);
        Assert.Contains("averyveryverylongname", ex.Message, StringComparison.Ordinal);
    }

    [LiveFact]
    public void A_multi_queue_tap_spreads_flows_over_its_queues_and_keeps_each_flow_on_one()
    {
        using TestNetwork net = new();
        using TapPort tap = TapPort.Open(new TapPortOptions { Name = net.LinkName("m"), MultiQueue = true });
        using TapPort second = tap.AttachQueue();
        net.MoveIn(tap.Name);
        net.ExecCheck("ip", "neigh", "replace", TestNetwork.PeerAddress, "lladdr", "02:00:00:00:00:02", "dev", tap.Name, "nud", "permanent");

        AfPacketPortTests.SendFlows(net, flows: 32, perFlow: 3);
        var seen = AfPacketPortTests.ReadFlows([tap, second], expected: 96);

        Assert.Equal(96, seen.Sum(s => s.Count));
        Assert.All(seen, s => Assert.NotEmpty(s)); // 32 flows on one of 2 queues: a 2^-31 chance
        Assert.Empty(seen[0].Intersect(seen[1])); // every frame of a flow on one queue
        Assert.True(tap.Statistics.RxPackets >= seen[0].Count && second.Statistics.RxPackets >= seen[1].Count, "each queue counts what it read");
        using TapPort single = TapPort.Open(new TapPortOptions { Name = net.LinkName("n"), BringUp = false });
        Assert.Throws<InvalidOperationException>(() => single.AttachQueue());
    }
}
