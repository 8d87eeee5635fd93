using System.Text.Json;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>`trace --from-host` and `replay --from-host`: packets worker1's own stack sends (ip_local_out).</summary>
public sealed class FromHostCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-fromhost-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Trace_from_host_routes_dnats_reroutes_masquerades_and_enters_br_int_on_antrea_gw0()
    {
        var (code, text, err) = CliRunner.Run("trace", "--node", "worker1", "--from-host", "--seed", "2", "--no-frames",
            "tcp,nw_dst=10.104.65.133,tp_dst=80,tcp_flags=syn");
        Assert.True(code == 0, err);
        Assert.Contains("tp_src=40000", err, StringComparison.Ordinal);
        string[] inOrder =
        [
            "route 10.104.65.133 (local out): default via 10.79.1.1 dev ens160 proto static; ip route get: 10.104.65.133 via 10.79.1.1 dev ens160 src 10.79.1.201",
            "nat:OUTPUT:rule:1:JUMP:KUBE-SERVICES",
            "nat:KUBE-MARK-MASQ:rule:1:MARK:0x4000/0x4000",
            "nat:KUBE-SERVICES:rule:10:JUMP:KUBE-SVC-EKL7ZEFK3VFJKKGJ",
            "nat:KUBE-SEP-6PRWOLZVS5LKSHLK:rule:2:DNAT:10.222.1.47:80",
            "filter:OUTPUT:policy:ACCEPT",
            "re-route 10.222.1.47 after DNAT (ip_route_me_harder): 10.222.1.0/24 dev antrea-gw0",
            "nat:KUBE-POSTROUTING:rule:3:MASQUERADE",
            "neighbor 10.222.1.47 dev antrea-gw0 lladdr f2:32:d8:07:e2:a6",
            "Flow: 2(antrea-gw0): tcp,in_port=\"antrea-gw0\"",
        ];
        int at = 0;
        foreach (string step in inOrder)
        {
            int next = text.IndexOf(step, at, StringComparison.Ordinal);
            Assert.True(next >= 0, $"'{step}' missing after offset {at} in:\n{text}");
            at = next;
        }
        Assert.Contains("nw_src=10.222.1.1,nw_dst=10.222.1.47,", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--in-port", "2", "--from-host and --in-port")]
    [InlineData("--bridge-only", null, "--from-host and --bridge-only")]
    public void Trace_from_host_with_a_port_gives_one_line_and_exit_1(string option, string? value, string message)
    {
        string[] args = value is null
            ? ["trace", "--node", "worker1", "--from-host", option, "tcp,nw_dst=10.104.65.133"]
            : ["trace", "--node", "worker1", "--from-host", option, value, "tcp,nw_dst=10.104.65.133"];
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {message}", err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void From_host_on_a_node_without_a_host_gives_one_line_and_exit_1()
    {
        string scenario = Path.Combine(_dir, "scenario");
        CopyScenario(scenario);
        string yaml = Path.Combine(scenario, "cluster.yaml");
        File.WriteAllText(yaml, File.ReadAllText(yaml).Replace("ofport: 2, ip: 10.222.2.1/24, ", "ofport: 2, ", StringComparison.Ordinal));
        var (code, _, err) = CliRunner.Run("trace", "--scenario", scenario, "--node", "worker2", "--from-host", "tcp,nw_dst=10.104.65.133");
        Assert.Equal(1, code);
        Assert.Equal("error: --from-host: node worker2 has no host stack (cluster.yaml gives it no gateway address)", err.TrimEnd());
        string input = WriteCapture();
        (code, _, err) = CliRunner.Run("replay", "--scenario", scenario, "--node", "worker2", "--from-host", input, "--out", Path.Combine(_dir, "o2"));
        Assert.Equal(1, code);
        Assert.Single(err.TrimEnd().Split('\n'));
        (code, _, err) = CliRunner.Run("replay", "--node", "worker1", "--from-host", "--in-port", "2", input, "--out", Path.Combine(_dir, "o3"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: --from-host:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_from_host_balances_frames_in_with_outputs_drops_and_deliveries()
    {
        string input = WriteCapture();
        var (code, json, err) = CliRunner.Run("replay", "--node", "worker1", "--from-host", "--seed", "1", input, "--out", Path.Combine(_dir, "out"), "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("frames_in").GetInt64());
        long outputs = root.GetProperty("outputs").EnumerateObject().Sum(p => p.Value.GetInt64());
        long drops = root.GetProperty("drops").EnumerateObject().Sum(p => p.Value.GetInt64());
        long copies = root.TryGetProperty("copies", out var c) ? c.GetInt64() : 0;
        long delivered = root.GetProperty("delivered").GetInt64();
        Assert.Equal(4, outputs + drops + delivered - copies);
        Assert.True(root.GetProperty("balanced").GetBoolean());
        // The ping to the host's own address comes back through INPUT: one delivery (the echo reply the host then
        // sends itself is the host's own business, as every reply it generates and consumes).
        Assert.Equal(1, delivered);
        // The SYN to 10.79.1.5 and the DNS query to 8.8.8.8 leave on ens160, sourced from the node IP.
        Assert.True(2 == root.GetProperty("outputs").GetProperty("ens160").GetInt64(), json);
        using var reader = PacketFileReader.Open(Path.Combine(_dir, "out", "ens160.pcap"));
        Assert.True(reader.TryReadNext(out var first));
        FlowKey.Extract(first.Span, 0, out var key);
        Assert.Equal(Ipv4Address.Parse("10.79.1.201"), key.Ipv4Src);
        Assert.Equal(Ipv4Address.Parse("10.79.1.5"), key.Ipv4Dst);
        // The ARP frame is not an IPv4 packet a process could send: one malformed drop.
        Assert.Equal(1, drops);
    }

    /// <summary>What worker1's processes send: a ping to itself, a SYN to a neighbour, a DNS query out the default route, and an ARP frame.</summary>
    private string WriteCapture()
    {
        string path = Path.Combine(_dir, $"host-{Guid.NewGuid():N}.pcap");
        var none = new Ipv4Address(0);
        using var w = PcapWriter.Create(path);
        w.WriteFrame(PacketBuilder.IcmpEcho(MacAddress.Zero, MacAddress.Zero, none, Ipv4Address.Parse("10.222.1.1"), reply: false, 7, 1, [1, 2, 3, 4]), 1_000_000_000);
        w.WriteFrame(PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, none, Ipv4Address.Parse("10.79.1.5"), 40001, 22, TcpFlags.Syn, seq: 1), 1_001_000_000);
        w.WriteFrame(PacketBuilder.Udp(MacAddress.Zero, MacAddress.Zero, none, Ipv4Address.Parse("8.8.8.8"), 40002, 53), 1_002_000_000);
        w.WriteFrame(PacketBuilder.Arp(1, MacAddress.Parse("4e:99:08:c1:53:be"), Ipv4Address.Parse("10.222.1.1"), MacAddress.Zero, Ipv4Address.Parse("10.222.1.47"),
            MacAddress.Parse("4e:99:08:c1:53:be"), MacAddress.Broadcast), 1_003_000_000);
        return path;
    }

    private static void CopyScenario(string to)
    {
        string from = Path.Combine(CliRunner.RepoRoot, "src", "Antrea", "Scenario");
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from))
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
