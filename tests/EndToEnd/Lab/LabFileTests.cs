namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>Lab file errors and control-socket errors as `datapath run` and `datapath ctl` report them (the parser itself: tests/Live.Tests).</summary>
public sealed class LabFileTests
{
    [Fact]
    public void RunRejectsAPortTheScenarioDoesNotHaveWithItsPosition()
    {
        string dir = Directory.CreateTempSubdirectory("dpt-labfile-").FullName;
        try
        {
            string path = Path.Combine(dir, "lab.yaml");
            File.WriteAllText(path, "nodes:\n  worker1:\n    ports:\n      nope-123: tap:x1\n");
            var (code, _, err) = Cli.CliRunner.Run("run", path);
            Assert.Equal(1, code);
            Assert.Equal($"error: {path}:4:17: node worker1 has no port 'nope-123' (ports: ", err[..(err.IndexOf('(', StringComparison.Ordinal) + 8)]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void CtlWithoutADaemonIsAnEnvironmentError()
    {
        var (code, _, err) = Cli.CliRunner.Run("ctl", Path.Combine(Path.GetTempPath(), "dpt-no-such-daemon.sock"), "stats");
        Assert.Equal(2, code);
        Assert.Contains("no datapath answers on", err, StringComparison.Ordinal);
    }
}
