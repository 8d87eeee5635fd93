using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Cli.Tests.Compile;

/// <summary>
/// The third-backend check of the compile tests (the seed's workers, whichever pipeline): the manifest edit that adds
/// backend3 on worker2, and a replay of the frontend's connections to backendsvc's ClusterIP counted per backend by
/// the SYNs that reach each pod's capture, with the chi-square of those counts against the shares the datapath should deal.
/// </summary>
internal static class BackendSpread
{
    /// <summary>The one YAML edit: a third backend pod on worker2.</summary>
    public const string Backend3 = """
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: backend3, labels: { role: backend } }
        spec:
          containers: [ { image: dumlutimuralp/networktest, name: backend3 } ]
          nodeName: worker2
        """;

    /// <summary>
    /// Replays <paramref name="connections"/> SYNs from the frontend (worker1) to backendsvc's ClusterIP, 1 ms apart,
    /// through the scenario at <paramref name="scenarioDir"/>; returns the SYNs each backend received.
    /// </summary>
    public static Dictionary<string, int> Replay(string scenarioDir, string workDir, int connections, string backend3Port)
    {
        string capture = Path.Combine(workDir, "syns.pcapng");
        using (var w = PcapngWriter.Create(capture))
        {
            int frontend = w.AddInterface("worker1/frontend-a3ba2f");
            for (int i = 0; i < connections; i++)
                w.WriteFrame(frontend, PacketBuilder.Tcp(MacAddress.Parse("be:2c:bf:e4:ec:c5"), MacAddress.Parse("4e:99:08:c1:53:be"),
                    Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"), (ushort)(20000 + i), 80, TcpFlags.Syn, seq: (uint)i), 1_000_000_000L + i * 1_000_000L);
        }
        string replayed = Path.Combine(workDir, "replayed");
        var (code, _, err) = CompileCommandTests.Run("replay", "--scenario", scenarioDir, "--cluster", capture, "--out", replayed);
        Assert.True(code == 0, err);
        return new Dictionary<string, int>
        {
            ["backend1"] = Syns(Path.Combine(replayed, "worker1", "backend1-bab86f.pcap")),
            ["backend2"] = Syns(Path.Combine(replayed, "worker2", "backend2-202ff6.pcap")),
            ["backend3"] = Syns(Path.Combine(replayed, "worker2", backend3Port + ".pcap")),
        };
    }

    /// <summary>Asserts the counts fit <paramref name="shares"/> (per backend): chi-square below 9.2103, p > 0.01 at two degrees of freedom.</summary>
    public static void AssertSpread(Dictionary<string, int> counts, Dictionary<string, double> shares)
    {
        int total = counts.Values.Sum();
        double chi2 = counts.Sum(kv => (kv.Value - (total * shares[kv.Key])) * (kv.Value - (total * shares[kv.Key])) / (total * shares[kv.Key]));
        Assert.True(chi2 < 9.2103, $"chi-square {chi2:F2} (p <= 0.01): {string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"))}");
    }

    // TCP SYNs to port 80 in a pod's capture (its ARP requests aside).
    private static int Syns(string pcap)
    {
        int n = 0;
        using var reader = PacketFileReader.Open(pcap);
        while (reader.TryReadNext(out var frame))
        {
            var f = frame.Span;
            if (f.Length < 54 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6)
                continue;
            int l4 = 14 + ((f[14] & 0x0f) * 4);
            if (((f[l4 + 2] << 8) | f[l4 + 3]) == 80 && (f[l4 + 13] & 0x12) == 0x02)
                n++;
        }
        return n;
    }
}
