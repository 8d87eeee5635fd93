using System.Text.Json;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// The hosts resolve their neighbours by ARP as Linux does, in a replay's clock (the frames' timestamps): the seed's
/// cluster.yaml lists no pod neighbours, so the first packet for a pod makes antrea-gw0 ask (who-has POD tell
/// 10.222.1.1, flooded by table 20's NORMAL), the pod answers through the bridge, and the packet follows; an address
/// nobody answers for is asked three times a second apart, then FAILED with ICMP host unreachable. Judged by tshark on
/// the port pcaps and by PacketDotNet (CaptureJudge).
/// </summary>
public sealed class NeighborResolutionCommandTests : IDisposable
{
    private static readonly MacAddress CorednsMac = MacAddress.Parse("f2:82:cc:96:da:bd");
    private static readonly MacAddress Gw1Mac = MacAddress.Parse("4e:99:08:c1:53:be");
    private static readonly Ipv4Address Coredns = Ipv4Address.Parse("10.222.1.2");
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-neigh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Capture(string name, params (byte[] Frame, long Nanoseconds)[] frames)
    {
        string path = Path.Combine(_dir, name);
        using var w = PcapWriter.Create(path);
        foreach (var (frame, ns) in frames)
            w.WriteFrame(frame, ns);
        return path;
    }

    [Fact]
    public void A_pod_with_no_neighbour_entry_gets_the_hosts_packet_after_the_arp_exchange_on_its_port()
    {
        // worker1's own stack sends a DNS query to coredns (10.222.1.2), which the seed's `arp -a` does not list.
        string input = Capture("from-host.pcap", (PacketBuilder.Udp(MacAddress.Zero, MacAddress.Zero, Ipv4Address.Parse("0.0.0.0"), Coredns, 40000, 53, "query"u8), 1_000_000_000));
        string outDir = Path.Combine(_dir, "out");
        var (code, text, err) = CliRunner.Run("replay", "--node", "worker1", "--from-host", input, "--out", outDir, "--dump-neigh");
        Assert.True(code == 0, err);
        Assert.Contains("10.222.1.2 dev antrea-gw0 lladdr f2:82:cc:96:da:bd REACHABLE", text, StringComparison.Ordinal);
        Assert.DoesNotContain("no-neighbor", text, StringComparison.Ordinal);

        // coredns's veth: the request (flooded), its kernel's reply, then the query to its MAC.
        string pcap = Path.Combine(outDir, "coredns--3e3abf.pcap");
        Assert.Equal(
        [
            "1\t4e:99:08:c1:53:be\tff:ff:ff:ff:ff:ff\t10.222.1.1\t10.222.1.2\t\t",
            "2\tf2:82:cc:96:da:bd\t4e:99:08:c1:53:be\t10.222.1.2\t10.222.1.1\t\t",
            "\t4e:99:08:c1:53:be\tf2:82:cc:96:da:bd\t\t\t10.222.1.2\t53",
        ], Tshark.Fields(pcap, null, "arp.opcode", "eth.src", "eth.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "ip.dst", "udp.dstport"));
        CaptureJudge.AssertCaptures(outDir);
        // Every other pod on the bridge saw the broadcast request, and nothing else.
        foreach (string port in new[] { "antrea-o-830766", "backend1-bab86f", "frontend-a3ba2f" })
            Assert.Equal(["1\t10.222.1.2"], Tshark.Fields(Path.Combine(outDir, port + ".pcap"), null, "arp.opcode", "arp.dst.proto_ipv4"));
    }

    [Fact]
    public void An_absent_neighbour_is_asked_three_times_then_the_sender_gets_icmp_host_unreachable()
    {
        // coredns (no NetworkPolicy) sends to 10.222.1.99, on worker1's pod subnet but no pod: the bridge hands it to
        // antrea-gw0, the host asks at 1000 s, 1001 s and 1002 s, and at 1003 s gives up.
        var query = PacketBuilder.Udp(CorednsMac, Gw1Mac, Coredns, Ipv4Address.Parse("10.222.1.99"), 40000, 53, "query"u8);
        string input = Capture("absent.pcap", (query, 1_000_000_000_000));
        string outDir = Path.Combine(_dir, "absent");
        var (code, text, err) = CliRunner.Run("replay", "--node", "worker1", "--in-port", "coredns--3e3abf", input, "--out", outDir, "--dump-neigh", "--json");
        Assert.True(code == 0, err);
        int json = text.IndexOf("\n10.222.1.", StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text[..json]);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("balanced").GetBoolean());
        Assert.Equal(1, root.GetProperty("drops").GetProperty("no-neighbor").GetInt64());
        Assert.Contains("10.222.1.99 dev antrea-gw0 FAILED", text[json..], StringComparison.Ordinal);

        // On every pod's veth: three broadcast requests a second apart (retrans_time 1 s, mcast_solicit 3); at 1003 s
        // the host asks for coredns too, to send it the error (coredns never asked for its gateway, so it is unknown).
        foreach (string port in new[] { "antrea-o-830766", "backend1-bab86f", "frontend-a3ba2f" })
        {
            Assert.Equal(["1000.000000000\t1\t10.222.1.99", "1001.000000000\t1\t10.222.1.99", "1002.000000000\t1\t10.222.1.99", "1003.000000000\t1\t10.222.1.2"],
                Tshark.Fields(Path.Combine(outDir, port + ".pcap"), null, "frame.time_epoch", "arp.opcode", "arp.dst.proto_ipv4"));
        }
        // coredns gets them too, then at 1003 s the ICMP host unreachable quoting its query, from its gateway.
        var icmp = Tshark.Fields(Path.Combine(outDir, "coredns--3e3abf.pcap"), "icmp", "frame.time_epoch", "ip.src", "ip.dst", "icmp.type", "icmp.code", "udp.dstport", "ip.checksum.status");
        Assert.Equal(["1003.000000000\t10.222.1.1,10.222.1.2\t10.222.1.2,10.222.1.99\t3\t1\t53\t1,1"], icmp);
        CaptureJudge.AssertCaptures(outDir);
    }

    [Fact]
    public void Trace_shows_the_arp_exchange_between_the_host_and_the_pod()
    {
        string input = Capture("trace.pcap", (PacketBuilder.IcmpEcho(CorednsMac, Gw1Mac, Coredns, Ipv4Address.Parse("10.222.1.1"), reply: false, id: 7, seq: 1), 1_000_000_000));
        var (code, text, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "coredns--3e3abf", "--pcap", input);
        Assert.True(code == 0, err);
        int ask = text.IndexOf("neighbor 10.222.1.2 dev antrea-gw0 INCOMPLETE; ARP who-has 10.222.1.2 tell 10.222.1.1 (request 1 of 3)", StringComparison.Ordinal);
        int answer = text.IndexOf("pod kube-system/coredns-66bff467f8-bclzd at coredns--3e3abf: ARP reply 10.222.1.2 is-at f2:82:cc:96:da:bd", StringComparison.Ordinal);
        int learnt = text.IndexOf("neighbor 10.222.1.2 dev antrea-gw0 lladdr f2:82:cc:96:da:bd REACHABLE (was INCOMPLETE): 1 waiting frame(s) sent", StringComparison.Ordinal);
        Assert.True(ask >= 0 && answer > ask && learnt > answer, text);
    }

    [Fact]
    public void Ip_neigh_prints_the_scenarios_entries_as_permanent()
    {
        var (code, text, err) = CliRunner.Run("ip-neigh", "--node", "worker1");
        Assert.True(code == 0, err);
        Assert.Equal(
        [
            "10.222.2.1 dev antrea-gw0 lladdr aa:bb:cc:dd:ee:ff PERMANENT",
            "10.79.1.1 dev ens160 lladdr 00:0c:29:fa:d8:a8 PERMANENT",
            "10.79.1.5 dev ens160 lladdr 00:0c:29:de:2c:c9 PERMANENT",
            "10.79.1.200 dev ens160 lladdr 00:50:56:8f:f7:65 PERMANENT",
            "10.79.1.202 dev ens160 lladdr 00:50:56:8f:1c:f6 PERMANENT",
        ], text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        (code, text, err) = CliRunner.Run("ip-neigh", "--node", "worker2", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(text);
        var first = doc.RootElement[0];
        Assert.Equal(("10.222.1.1", "antrea-gw0", "aa:bb:cc:dd:ee:ff", "PERMANENT"),
            (first.GetProperty("dst").GetString(), first.GetProperty("dev").GetString(), first.GetProperty("lladdr").GetString(), first.GetProperty("state")[0].GetString()));
        (code, _, err) = CliRunner.Run("ip-neigh", "--node", "master");
        Assert.Equal(1, code);
        Assert.Contains("error:", err, StringComparison.Ordinal);
    }
}
