using System.Text.Json;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>`datapath demo`: the articles' walk on the embedded seed lab, end to end.</summary>
public class DemoCommandTests
{
    [Fact]
    public void Demo_walks_every_phase_and_the_SYN_reaches_backend2()
    {
        var (code, json, err) = CliRunner.Run("demo", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var phases = doc.RootElement.GetProperty("phases").EnumerateArray().ToArray();
        Assert.True(phases.Length >= 6);
        var outputs = phases.SelectMany(p => p.GetProperty("trace").GetProperty("verdict").GetProperty("outputs").EnumerateArray())
            .Select(o => $"{o.GetProperty("node").GetString()}/{o.GetProperty("port").GetString()}").ToArray();
        Assert.Contains("worker2/backend2-202ff6", outputs);
        Assert.Contains("worker1/antrea-gw0", outputs);
    }

    [Fact]
    public void Text_demo_prints_the_phases()
    {
        var (code, text, err) = CliRunner.Run("demo", "--no-frames");
        Assert.True(code == 0, err);
        Assert.Contains("Phase 4", text, StringComparison.Ordinal);
        Assert.Contains("node worker2", text, StringComparison.Ordinal);
        Assert.Contains("is-at", text, StringComparison.Ordinal);
    }
}
