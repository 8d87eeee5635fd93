using System.Diagnostics;
using System.Text.Json;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// The capture the README offers to try: samples/seed-curl.pcapng, `curl http://backendsvc/` from the seed's
/// frontend pod as captured on the pods' own ports. Replayed across the cluster, every frame arrives — the
/// frontend's through worker1's DNAT and the tunnel to backend2, backend2's answers back to the frontend with
/// the ClusterIP as their source — and it still is what its generator writes.
/// </summary>
public sealed class SampleCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-sample-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Datapath.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Datapath.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Sample => Path.Combine(Root(), "samples", "seed-curl.pcapng");

    [Fact]
    public void Replayed_across_the_cluster_the_curl_completes_with_backend2_answering_as_the_ClusterIP()
    {
        string outDir = Path.Combine(_dir, "out");
        var (code, json, err) = CliRunner.Run("replay", "--cluster", Sample, "--out", outDir, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(11, root.GetProperty("frames_in").GetInt64());
        Assert.Empty(root.GetProperty("drops").EnumerateObject());
        Assert.True(root.GetProperty("balanced").GetBoolean());
        Assert.Equal(6, root.GetProperty("outputs").GetProperty("worker2/backend2-202ff6").GetInt64()); // SYN, ACK, GET, ACK, FIN, ACK
        Assert.Equal(5, root.GetProperty("outputs").GetProperty("worker1/frontend-a3ba2f").GetInt64()); // ARP reply, SYN-ACK, ACK, 200 OK, FIN

        // backend2 sees the frontend's GET addressed to it (DNAT), the frontend sees the answer from the ClusterIP (un-DNAT).
        var get = Tshark.Fields(Path.Combine(outDir, "worker2", "backend2-202ff6.pcap"), "http.request", "ip.src", "ip.dst", "http.request.uri");
        Assert.Equal("10.222.1.48\t10.222.2.34\t/", Assert.Single(get));
        var ok = Tshark.Fields(Path.Combine(outDir, "worker1", "frontend-a3ba2f.pcap"), "http.response", "ip.src", "tcp.srcport", "http.response.code");
        Assert.Equal("10.104.65.133\t80\t200", Assert.Single(ok));
    }

    [Fact]
    public void Trace_pcap_takes_the_SYN_of_the_sample_to_backend2()
    {
        var (code, text, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--pcap", Sample, "--frame", "2", "--no-frames");
        Assert.True(code == 0, err);
        Assert.Contains("output on worker2 port 35(backend2-202ff6)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_is_what_its_generator_writes()
    {
        string copy = Path.Combine(_dir, "samples");
        Directory.CreateDirectory(copy);
        var psi = new ProcessStartInfo("python3", [Path.Combine(Root(), "samples", "make-seed-curl.py")]) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        Assert.Equal(File.ReadAllBytes(Sample), File.ReadAllBytes(Path.Combine(copy, "seed-curl.pcapng")));
    }
}
