using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>
/// The seed lab on real traffic (issue 8): `datapath lab up` builds namespaces frontend, backend1
/// (worker1) and backend2 (worker2) joined by two `dotnet datapath.dll run --node` processes that
/// exchange GENEVE over UDP on loopback; real curl and a real HTTP server judge the result, and the
/// faults (malformed frame, vanished interface, bad control command, killed worker) are provoked
/// for real. One lab for the class (LabFixture); tests run in name order, the destructive ones last.
/// </summary>
[TestCaseOrderer("Datapath.EndToEnd.Tests.Lab.ByNameOrderer", "Datapath.EndToEnd.Tests")]
public sealed class SeedLabTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private const string Backend1Page = "Praqma Network MultiTool (with NGINX) - backend1 - 10.222.1.47/24";
    private const string Backend2Page = "Praqma Network MultiTool (with NGINX) - backend2 - 10.222.2.34/24";

    private void RequireLab() => Assert.True(lab.Error is null, lab.Error + "\n" + lab.Logs());

    private (int Code, string Out, string Err) Curl(string pod, string url, int seconds = 5)
        => LabEnvironment.RunFor(TimeSpan.FromSeconds(seconds + 10), "ip", "netns", "exec", lab.Ns(pod), "curl", "-s", "-m", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), url);

    private (int Code, string Out, string Err) Ctl(string node, params string[] args)
        => LabEnvironment.Datapath(["ctl", lab.Socket(node), .. args]);

    private JsonElement Stats(string node)
    {
        var (code, output, error) = Ctl(node, "stats", "--json");
        Assert.True(code == 0, $"stats on {node}: {code} {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static long Drops(JsonElement stats, string key)
        => stats.GetProperty("drops").TryGetProperty(key, out var v) ? v.GetInt64() : 0;

    [LabFact]
    public void A1_CurlFromTheFrontendReachesBackend2AcrossTheTunnel()
    {
        RequireLab();
        var (code, output, error) = Curl("frontend", "http://10.222.2.34/");
        Assert.True(code == 0, $"curl exit {code}: {error}\n{lab.Logs()}");
        Assert.Equal(Backend2Page, output.Trim());
        var w1 = Stats("worker1");
        Assert.True(w1.GetProperty("underlay").GetProperty("tx_datagrams").GetInt64() > 0, "worker1 sent nothing on the underlay");
        Assert.True(Stats("worker2").GetProperty("underlay").GetProperty("rx_datagrams").GetInt64() > 0, "worker2 received nothing on the underlay");
    }

    [LabFact]
    public void A1b_EachPodPortHasAQueuePerWorkerAndConnectionsSpreadOverThem()
    {
        RequireLab();
        // Both directions of each connection stay on one queue; different connections land on different
        // queues by the kernel's symmetric flow hash: 24 connections all on one of 2 queues is a 2^-23 chance.
        for (int i = 0; i < 24; i++)
        {
            var (code, output, error) = Curl("frontend", "http://10.222.1.47/");
            Assert.True(code == 0, $"request {i}: curl exit {code}: {error}\n{lab.Logs()}");
            Assert.Equal(Backend1Page, output.Trim());
        }
        foreach (var port in Stats("worker1").GetProperty("ports").EnumerateArray())
        {
            string name = port.GetProperty("port").GetString()!;
            Assert.Equal(LabFixture.Workers, port.GetProperty("queues").GetInt32());
            long[] perQueue = [.. port.GetProperty("queue_rx_packets").EnumerateArray().Select(q => q.GetInt64())];
            Assert.Equal(LabFixture.Workers, perQueue.Length);
            Assert.Equal(port.GetProperty("rx_packets").GetInt64(), perQueue.Sum());
            Assert.True(perQueue.All(n => n > 0), $"{name}: frames per queue {string.Join(", ", perQueue)}: a queue received nothing");
        }
        Assert.Equal(LabFixture.Workers, LabEnvironment.RunFor(TimeSpan.FromSeconds(10), "ip", "netns", "exec", lab.Ns("frontend"), "ls", "/sys/class/net/eth0/queues").Out
            .Split('\n').Count(l => l.StartsWith("rx-", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Live captures on the pods' eth0 while the frontend curls backend2 across the tunnel and backendsvc through
    /// worker1's host stack (kube-proxy's DNAT to both backends): every frame, the pods' own and those our
    /// datapaths delivered to them (after table 70's TTL decrement and MAC rewrite, un-DNATed replies), is valid
    /// to PacketDotNet, the second judge, and reads as our parser reads it; so are the GENEVE datagrams between
    /// the workers on the underlay, down to the inner frames.
    /// </summary>
    [LabFact]
    public void A1c_EveryFrameOnThePodsWiresAndTheUnderlayIsValidToTheSecondJudge()
    {
        RequireLab();
        string dir = Directory.CreateTempSubdirectory("dpt-lab-capture-").FullName;
        try
        {
            var pods = new[] { "frontend", "backend1", "backend2" };
            var captures = pods.Select(pod => LiveCapture.OnPod(lab.Ns(pod), Path.Combine(dir, pod + ".pcap"))).ToList();
            string underlay = Path.Combine(dir, "underlay.pcap");
            captures.Add(LiveCapture.OnUnderlay(underlay));
            try
            {
                Assert.Equal(Backend2Page, Curl("frontend", "http://10.222.2.34/").Out.Trim());
                for (int i = 0; i < 6; i++)
                    Assert.Equal(0, Curl("frontend", "http://10.104.65.133/").Code);
                Thread.Sleep(200);
            }
            finally
            {
                captures.ForEach(c => c.Dispose());
            }
            foreach (var pod in pods)
            {
                int frames = CaptureJudge.AssertCapture(Path.Combine(dir, pod + ".pcap")).Count;
                Assert.True(frames > 0, $"tcpdump on {pod}'s eth0 caught no frame");
            }
            // On the underlay the outer headers are the kernel's, its UDP checksum left to loopback's offload; the
            // GENEVE header and the inner frames are ours.
            var tunnelled = CaptureJudge.AssertCapture(underlay, outerChecksumOffloaded: true)
                .Where(s => s.Contains($"{lab.Underlay.Item1}>{lab.Underlay.Item2}", StringComparison.Ordinal)).ToList();
            Assert.Contains(tunnelled, s => s.Contains("geneve vni 0 | eth 4e:99:08:c1:53:be>aa:bb:cc:dd:ee:ff ipv4 10.222.1.48>10.222.2.34 ttl 63 tcp", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [LabFact]
    public void A2_CurlFromTheFrontendReachesBackend1OnTheSameNode()
    {
        RequireLab();
        var (code, output, error) = Curl("frontend", "http://10.222.1.47/");
        Assert.True(code == 0, $"curl exit {code}: {error}\n{lab.Logs()}");
        Assert.Equal(Backend1Page, output.Trim());
    }

    [LabFact]
    public void A2b_TheClusterIpReachesBothBackendsThroughTheHostStack()
    {
        RequireLab();
        var seen = new Dictionary<string, int>();
        for (int i = 0; i < 50; i++)
        {
            var (code, output, error) = Curl("frontend", "http://10.104.65.133/");
            Assert.True(code == 0, $"request {i}: curl exit {code}: {error}\n{lab.Logs()}");
            string page = output.Trim();
            Assert.True(page is Backend1Page or Backend2Page, $"unexpected page: {page}");
            seen[page] = seen.GetValueOrDefault(page) + 1;
        }
        Assert.Equal(2, seen.Count);
        Assert.True(Stats("worker1").GetProperty("host").GetProperty("forwarded").GetInt64() > 0);
        var hostCt = Ctl("worker1", "dump-conntrack", "--host");
        Assert.Equal(0, hostCt.Code);
        Assert.Contains("dst=10.104.65.133", hostCt.Out, StringComparison.Ordinal);
        // conntrack -L and the live counters of the host's iptables: the service's rule in KUBE-SERVICES counted the SYN.
        Assert.Contains("dst=10.104.65.133 sport=", Ctl("worker1", "conntrack", "-L").Out, StringComparison.Ordinal);
        var services = Ctl("worker1", "iptables", "-t", "nat", "-L", "KUBE-SERVICES", "-n", "-v", "-x", "--line-numbers");
        Assert.Equal(0, services.Code);
        var line = services.Out.Split('\n').Single(l => l.StartsWith("10 ", StringComparison.Ordinal));
        Assert.NotEqual("0", line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    [LabFact]
    public void A2c_TheGatewayAnswersArpAndPingOnceThePolicyLetsIcmpOut()
    {
        RequireLab();
        string[] ping = ["ip", "netns", "exec", lab.Ns("backend2"), "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.222.2.1"];
        // The seed's policies deny the pods' egress but TCP 80 / UDP 53: the echo request is dropped in table 60...
        long before = Drops(Stats("worker2"), "drop-action in table 60");
        var denied = LabEnvironment.RunFor(TimeSpan.FromSeconds(20), ping[0], ping[1..]);
        Assert.NotEqual(0, denied.Code);
        Assert.True(Drops(Stats("worker2"), "drop-action in table 60") > before, "the echo request was not dropped by the egress policy");
        // ...while the pod's ARP for its gateway was answered by the host stack (no static entry: lab up does not add one).
        Assert.Contains("10.222.2.1 dev eth0 lladdr 02:d8:4e:3f:92:1d", LabEnvironment.Run("ip", "-n", lab.Ns("backend2"), "neigh", "show").Out, StringComparison.Ordinal);
        Assert.True(Stats("worker2").GetProperty("host").GetProperty("arp_replies").GetInt64() >= 1);

        const string Allow = "table=60,priority=300,icmp,nw_src=10.222.2.34,nw_dst=10.222.2.1";
        Assert.Equal(0, Ctl("worker2", "add-flow", Allow + ",actions=resubmit(,70)").Code);
        try
        {
            var (code, output, error) = LabEnvironment.RunFor(TimeSpan.FromSeconds(20), ping[0], ping[1..]);
            Assert.True(code == 0, $"ping exit {code}: {output}{error}");
            Assert.Contains("3 received", output, StringComparison.Ordinal);
            Assert.True(Stats("worker2").GetProperty("host").GetProperty("echo_replies").GetInt64() >= 3);
        }
        finally
        {
            Assert.Equal(0, Ctl("worker2", "del-flows", "--strict", Allow).Code);
        }
    }

    [LabFact]
    public void A2d_TheNodePingsItsPodsFromItsGatewayAddressAsAntreaAllows()
    {
        RequireLab();
        // docs/lab.md, "Pinging the gateway": Antrea v0.10's local probe rule (table 90, above the policies) lets the
        // node's own gateway address in; `lab up` adds it, since the seed's hand-written table 90 lacks it.
        var table90 = Ctl("worker1", "dump-flows", "table=90");
        Assert.Contains("priority=210,ip,nw_src=10.222.1.1 actions=resubmit(,105)", table90.Out, StringComparison.Ordinal);
        foreach (var (node, pod) in new[] { ("worker1", "10.222.1.47"), ("worker1", "10.222.1.48"), ("worker2", "10.222.2.34") })
        {
            var (code, output, error) = Ctl(node, "ping", "-c", "3", "-i", "0.1", "-W", "5", pod);
            Assert.True(code == 0, $"{node} ping {pod}: exit {code} {output}{error}\n{lab.Logs()}");
            Assert.Contains("3 packets transmitted, 3 received", output, StringComparison.Ordinal);
            Assert.Contains($"PING {pod} from 10.222.{(node == "worker1" ? 1 : 2)}.1 ", output, StringComparison.Ordinal);
        }
        var probe = Ctl("worker1", "dump-flows", "table=90,ip,nw_src=10.222.1.1");
        Assert.Contains("nw_src=10.222.1.1", probe.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("n_packets=0,", probe.Out, StringComparison.Ordinal); // the rule let the requests in
        // The rule matches only the node's own gateway: worker1's host pinging backend2 on worker2 arrives from
        // 10.222.1.1, which worker2's ingress policy (table 100) drops, as Antrea would.
        long before = Drops(Stats("worker2"), "drop-action in table 100");
        var remote = Ctl("worker1", "ping", "-c", "2", "-i", "0.1", "-W", "1", "10.222.2.34");
        Assert.Equal(1, remote.Code);
        Assert.Contains("2 packets transmitted, 0 received", remote.Out + remote.Err, StringComparison.Ordinal);
        Assert.True(Drops(Stats("worker2"), "drop-action in table 100") >= before + 2, "worker2's table 100 did not drop worker1's echo requests");
    }

    [LabFact]
    public void A3_Tcp22ToABackendIsDroppedByTheNetworkPolicy()
    {
        RequireLab();
        long before = Drops(Stats("worker1"), "drop-action in table 60");
        // Both backends listen on 22 too, so anything but a drop would answer (or refuse) at once.
        var (code, _, _) = Curl("frontend", "http://10.222.2.34:22/", seconds: 2);
        Assert.Equal(28, code); // curl: operation timed out
        Assert.True(Drops(Stats("worker1"), "drop-action in table 60") > before, "the SYN to port 22 was not dropped by worker1's egress policy (table 60)");
    }

    [LabFact]
    public void A4_AddFlowTakesEffectOnLiveTrafficAndDelFlowsUndoesIt()
    {
        RequireLab();
        const string Rule = "table=90,priority=300,tcp,nw_src=10.222.1.48,tp_dst=80";
        var add = Ctl("worker2", "add-flow", Rule + ",actions=drop");
        Assert.True(add.Code == 0, add.Err);
        try
        {
            Assert.Contains("priority=300", Ctl("worker2", "dump-flows", "table=90").Out, StringComparison.Ordinal);
            Assert.Equal(28, Curl("frontend", "http://10.222.2.34/", seconds: 2).Code);
        }
        finally
        {
            var del = Ctl("worker2", "del-flows", "--strict", Rule);
            Assert.True(del.Code == 0, del.Err);
            Assert.Contains("deleted 1 flow(s)", del.Out, StringComparison.Ordinal);
        }
        Assert.Equal(Backend2Page, Curl("frontend", "http://10.222.2.34/").Out.Trim());
    }

    [LabFact]
    public void A5_DumpFlowsShowsLiveCountersAndDumpConntrackTheConnections()
    {
        RequireLab();
        Assert.Equal(0, Curl("frontend", "http://10.222.2.34/").Code);
        var flows = Ctl("worker2", "dump-flows", "table=90").Out;
        var allowRule = flows.Split('\n').Single(l => l.Contains("conj_id=3", StringComparison.Ordinal));
        Assert.DoesNotContain("n_packets=0,", allowRule, StringComparison.Ordinal);
        var ct = Ctl("worker2", "dump-conntrack", "zone=65520");
        Assert.Equal(0, ct.Code);
        Assert.Contains("src=10.222.1.48,dst=10.222.2.34", ct.Out, StringComparison.Ordinal);
        Assert.Matches(@"  port ""backend2-202ff6"": rx pkts=[1-9]\d*, ", Ctl("worker2", "dump-ports").Out);
    }

    [LabFact]
    public void A6_TraceRunsOnTheLiveTables()
    {
        RequireLab();
        var (code, output, error) = Ctl("worker1", "trace", "in_port=frontend-a3ba2f,tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.222.2.34,tp_dst=80,tcp_flags=syn");
        Assert.True(code == 0, error);
        Assert.Contains("antrea-tun0", output, StringComparison.Ordinal);
        Assert.Contains("GENEVE encap", output, StringComparison.Ordinal);
        var json = Ctl("worker1", "trace", "--json", "in_port=frontend-a3ba2f,tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.222.2.34,tp_dst=22,tcp_flags=syn");
        using var doc = JsonDocument.Parse(json.Out);
        var drop = doc.RootElement.GetProperty("verdict").GetProperty("drops")[0];
        Assert.Equal(60, drop.GetProperty("table").GetInt32());
    }

    /// <summary>
    /// `lab up --metrics`: each worker serves Prometheus text at /metrics (prometheus-net). A curl from the
    /// frontend to backend2 moves worker1's port, flow-cache and underlay counters and leaves connections in
    /// worker2's bridge zone 65520, as ctl stats tells.
    /// </summary>
    [LabFact]
    public void A6b_PrometheusMetricsMoveWithRealTraffic()
    {
        RequireLab();
        var before1 = Scrape("worker1");
        var before2 = Scrape("worker2");
        Assert.Contains("# TYPE datapath_port_rx_packets_total counter", before1.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE datapath_conntrack_connections gauge", before1.Text, StringComparison.Ordinal);

        Assert.Equal(Backend2Page, Curl("frontend", "http://10.222.2.34/").Out.Trim());

        var after1 = Scrape("worker1");
        var after2 = Scrape("worker2");
        Assert.True(after1.Sum("datapath_port_rx_packets_total", "port=\"frontend-a3ba2f\"") > before1.Sum("datapath_port_rx_packets_total", "port=\"frontend-a3ba2f\""),
            "worker1's frontend port counted no frame:\n" + after1.Text);
        Assert.True(after1.Sum("datapath_flow_cache_hits_total") + after1.Sum("datapath_flow_cache_misses_total")
            > before1.Sum("datapath_flow_cache_hits_total") + before1.Sum("datapath_flow_cache_misses_total"), "worker1's flow cache saw no pass");
        Assert.True(after1.Sum("datapath_underlay_tx_datagrams_total") > before1.Sum("datapath_underlay_tx_datagrams_total"), "worker1 sent no GENEVE datagram");
        Assert.True(after2.Sum("datapath_underlay_rx_datagrams_total") > before2.Sum("datapath_underlay_rx_datagrams_total"), "worker2 received no GENEVE datagram");
        Assert.True(after2.Sum("datapath_table_matched_packets_total", "table=\"0\"") > before2.Sum("datapath_table_matched_packets_total", "table=\"0\""), "worker2's table 0 matched nothing");
        Assert.True(after2.Sum("datapath_conntrack_connections", "table=\"bridge\",zone=\"65520\"") > 0, "no connection in worker2's zone 65520");
    }

    private sealed record Exposition(string Text)
    {
        /// <summary>The sum of every sample of <paramref name="metric"/> whose labels contain <paramref name="label"/>.</summary>
        public double Sum(string metric, string label = "") => Text.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private Exposition Scrape(string node)
    {
        // The server starts once the node is up; lab up returns when the control socket answers.
        for (int attempt = 0; ; attempt++)
        {
            var (code, output, error) = LabEnvironment.RunFor(TimeSpan.FromSeconds(15), "curl", "-sf", "-m", "5", lab.MetricsUrl(node));
            if (code == 0)
                return new Exposition(output);
            Assert.True(attempt < 20, $"curl {lab.MetricsUrl(node)}: {code} {error}");
            Thread.Sleep(250);
        }
    }

    [LabFact]
    public void A7_MalformedControlCommandsGetAnErrorAndTheDaemonStaysUp()
    {
        RequireLab();
        var unknown = Ctl("worker1", "frobnicate");
        Assert.Equal(1, unknown.Code);
        Assert.Contains("unknown command 'frobnicate'", unknown.Err, StringComparison.Ordinal);
        var badFlow = Ctl("worker1", "add-flow", "table=0,priority=1,nw_dts=10.0.0.1,actions=drop");
        Assert.Equal(1, badFlow.Code);
        Assert.Contains("FLOW:1:", badFlow.Err, StringComparison.Ordinal);
        // Not even the protocol: raw garbage on the socket.
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            s.Connect(new UnixDomainSocketEndPoint(lab.Socket("worker1")));
            s.Send(Encoding.UTF8.GetBytes("{not json\n"));
            var buffer = new byte[4096];
            int n = s.Receive(buffer);
            Assert.StartsWith("status 1\nerror: malformed request", Encoding.UTF8.GetString(buffer, 0, n), StringComparison.Ordinal);
        }
        Assert.Equal(0, Ctl("worker1", "stats").Code);
        Assert.Equal(Backend2Page, Curl("frontend", "http://10.222.2.34/").Out.Trim());
    }

    /// <summary>
    /// A pod floods its eth0 (the TAP worker1 reads, moved into the pod's namespace) with its queue cut
    /// to one frame: while the flood runs, `ctl stats` calls made side by side all answer; with the
    /// worker stopped (SIGSTOP) the kernel drops what the queue cannot hold, and the port's rx_dropped
    /// counts it, read from the device's own tx_dropped in the pod's namespace. Every frame the pod sent
    /// is a packet the port received or one it counts as dropped.
    /// </summary>
    [LabFact]
    public void B0_AFloodFromAPodIsCountedWhereTheKernelDropsItAndStatsStillAnswer()
    {
        RequireLab();
        string ns = lab.Ns("frontend");
        var (code, _, error) = LabEnvironment.Run("ip", "-n", ns, "link", "set", "dev", "eth0", "txqueuelen", "1");
        Assert.True(code == 0, error);
        try
        {
            var before = FrontendPort();
            var kernelBefore = KernelTx(ns);

            // frontend (10.222.1.48) -> backend1 (10.222.1.47) UDP port 9, through the gateway's MAC,
            // sent as raw frames so that no neighbour resolution stands between the socket and the TAP.
            const int Flood = 100_000, WhileStopped = 2_000;
            Task<(int Code, string Out, string Err)> flood = Task.Run(() => RawFrames(ns, Flood));
            var answers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                var sw = Stopwatch.StartNew();
                var reply = Ctl("worker1", "stats");
                return (reply.Code, reply.Err, sw.Elapsed);
            })).ToArray();
            Assert.True(Task.WaitAll(answers, TimeSpan.FromSeconds(60)), "ctl stats did not answer during the flood");
            foreach (var (statsCode, statsError, took) in answers.Select(t => t.Result))
            {
                Assert.True(statsCode == 0, $"ctl stats during the flood: {statsCode} {statsError}");
                Assert.True(took < TimeSpan.FromSeconds(10), $"ctl stats took {took} during the flood");
            }
            var flooded = flood.Result;
            Assert.True(flooded.Code == 0, flooded.Err);

            int worker1 = lab.WorkerPid("worker1");
            string pid = worker1.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(0, LabEnvironment.Run("kill", "-STOP", pid).Code);
            try
            {
                var stopped = RawFrames(ns, WhileStopped);
                Assert.True(stopped.Code == 0, stopped.Err);
            }
            finally
            {
                LabEnvironment.Run("kill", "-CONT", pid);
            }

            var kernelAfter = KernelTx(ns);
            long kernelDropped = kernelAfter.Dropped - kernelBefore.Dropped;
            Assert.True(kernelDropped >= WhileStopped - 1, $"the kernel dropped {kernelDropped} of {WhileStopped} frames on a one-frame queue nobody read");
            long sent = (kernelAfter.Packets - kernelBefore.Packets) + kernelDropped;
            Assert.True(sent >= Flood + WhileStopped, $"the kernel counted {sent} frames on eth0, {Flood + WhileStopped} were sent");

            var sw = Stopwatch.StartNew();
            var after = FrontendPort();
            while ((after.Dropped - before.Dropped < kernelDropped || after.Received + after.Dropped - before.Received - before.Dropped < sent)
                   && sw.Elapsed < TimeSpan.FromSeconds(15))
            {
                Thread.Sleep(200);
                after = FrontendPort();
            }
            Assert.True(after.Dropped - before.Dropped >= kernelDropped,
                $"port frontend-a3ba2f counts {after.Dropped - before.Dropped} dropped, the kernel dropped {kernelDropped} on its queue");
            Assert.True(after.Received + after.Dropped - before.Received - before.Dropped >= sent,
                $"port frontend-a3ba2f received {after.Received - before.Received} and dropped {after.Dropped - before.Dropped} of {sent} frames");
        }
        finally
        {
            LabEnvironment.Run("ip", "-n", ns, "link", "set", "dev", "eth0", "txqueuelen", "500");
        }
        Assert.Equal(Backend2Page, Curl("frontend", "http://10.222.2.34/").Out.Trim());
    }

    private (long Received, long Dropped) FrontendPort()
    {
        var port = Stats("worker1").GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("port").GetString() == "frontend-a3ba2f");
        return (port.GetProperty("rx_packets").GetInt64(), port.GetProperty("rx_dropped").GetInt64());
    }

    private static (long Packets, long Dropped) KernelTx(string ns)
    {
        var (code, output, error) = LabEnvironment.Run("ip", "-n", ns, "-s", "-j", "link", "show", "dev", "eth0");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var tx = doc.RootElement[0].GetProperty("stats64").GetProperty("tx");
        return (tx.GetProperty("packets").GetInt64(), tx.GetProperty("dropped").GetInt64());
    }

    private static (int Code, string Out, string Err) RawFrames(string ns, int count)
    {
        string script = "import socket, struct\n"
            + "def csum(b):\n    s = sum(struct.unpack('!10H', b))\n    s = (s >> 16) + (s & 0xffff)\n    return ~(s + (s >> 16)) & 0xffff\n"
            + "ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28 + 18, 0, 0x4000, 64, 17, 0, bytes([10, 222, 1, 48]), bytes([10, 222, 1, 47])))\n"
            + "ip[10:12] = struct.pack('!H', csum(bytes(ip)))\n"
            + "frame = bytes.fromhex('4e9908c153be' 'be2cbfe4ecc5' '0800') + bytes(ip) + struct.pack('!HHHH', 40000, 9, 8 + 18, 0) + b'x' * 18\n"
            + "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
            + "s.bind(('eth0', 0))\n"
            + $"for _ in range({count}):\n    s.send(frame)\n";
        return LabEnvironment.RunFor(TimeSpan.FromSeconds(120), "ip", "netns", "exec", ns, "python3", "-c", script);
    }

    [LabFact]
    public void B1_AMalformedFrameFromATapIsACountedDrop()
    {
        RequireLab();
        long before = Drops(Stats("worker1"), "malformed");
        // 14-byte Ethernet header (frontend -> its gateway, IPv4) and only 3 bytes of IPv4 header.
        const string Script = "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0)); "
            + "s.send(bytes.fromhex('4e9908c153be' 'be2cbfe4ecc5' '0800' '450000'))";
        var (code, _, error) = LabEnvironment.Run("ip", "netns", "exec", lab.Ns("frontend"), "python3", "-c", Script);
        Assert.True(code == 0, error);
        var sw = Stopwatch.StartNew();
        while (Drops(Stats("worker1"), "malformed") <= before && sw.Elapsed < TimeSpan.FromSeconds(10))
            Thread.Sleep(100);
        Assert.True(Drops(Stats("worker1"), "malformed") > before, "the truncated frame was not counted as a malformed drop");
        Assert.Equal(Backend2Page, Curl("frontend", "http://10.222.2.34/").Out.Trim());
    }

    [LabFact]
    public void B2_AnInterfaceThatDisappearsIsCountedAndTheRestKeepsRunning()
    {
        RequireLab();
        var (code, _, error) = LabEnvironment.Run("ip", "-n", lab.Ns("backend1"), "link", "del", "dev", "eth0");
        Assert.True(code == 0, error);
        var sw = Stopwatch.StartNew();
        while (Stats("worker1").GetProperty("port_faults").GetInt64() == 0 && sw.Elapsed < TimeSpan.FromSeconds(10))
            Thread.Sleep(100);
        var stats = Stats("worker1");
        Assert.Equal(1, stats.GetProperty("port_faults").GetInt64());
        var port = stats.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("port").GetString() == "backend1-bab86f");
        Assert.Equal("faulted", port.GetProperty("state").GetString());
        Assert.Equal(Backend2Page, Curl("frontend", "http://10.222.2.34/").Out.Trim());
    }

    [LabFact]
    public void C1_LabDownNoticesAKilledWorkerAndRemovesEverything()
    {
        RequireLab();
        int worker1 = lab.WorkerPid("worker1");
        int worker2 = lab.WorkerPid("worker2");
        LabEnvironment.Run("kill", "-KILL", worker2.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var sw = Stopwatch.StartNew();
        while (File.Exists($"/proc/{worker2}/cmdline") && File.ReadAllText($"/proc/{worker2}/cmdline").Length > 0 && sw.Elapsed < TimeSpan.FromSeconds(10))
            Thread.Sleep(100);

        var (code, _, error) = LabEnvironment.Datapath("lab", "down", "--dir", lab.Dir);
        Assert.Equal(2, code);
        Assert.Contains($"worker worker2 (pid {worker2}) was not running", error, StringComparison.Ordinal);
        Assert.False(File.Exists($"/proc/{worker1}/cmdline") && File.ReadAllText($"/proc/{worker1}/cmdline").Contains("datapath", StringComparison.Ordinal),
            "worker1 still runs after lab down");
        string namespaces = LabEnvironment.Run("ip", "netns", "list").Out;
        Assert.DoesNotContain(lab.Prefix, namespaces, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Prefix + "tap-", LabEnvironment.Run("ip", "link", "show").Out, StringComparison.Ordinal);
        Assert.False(File.Exists(lab.Socket("worker1")));
    }
}
