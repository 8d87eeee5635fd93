using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath replay IN --out DIR` when IN or DIR cannot be used: each error names what is wrong
/// (IN or --out) and exits as the contract says: a bad argument or bad input 1, the environment 2.
/// </summary>
public sealed class ReplayOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-replay-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Input()
    {
        string input = Path.Combine(_dir, "in.pcap");
        using var w = PcapWriter.Create(input);
        w.WriteFrame(PacketBuilder.Tcp(MacAddress.Parse("be:2c:bf:e4:ec:c5"), MacAddress.Parse("4e:99:08:c1:53:be"),
            Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"), 40001, 80, TcpFlags.Syn, seq: 1000), 1_000_000_000);
        return input;
    }

    private static (int Code, string Out, string Err) Replay(string input, string outDir)
        => CliRunner.Run("replay", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--bridge-only", input, "--out", outDir);

    private static string FirstLine(string err) => err.Replace("\r", "", StringComparison.Ordinal).Split('\n')[0];

    [Fact]
    public void Out_that_is_a_file_is_a_bad_argument_naming_out()
    {
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var (code, _, err) = Replay(Input(), file);
        Assert.Equal(1, code);
        Assert.Equal($"error: --out {file}: is a file, not a directory (give a directory for the per-port pcaps)", FirstLine(err));
    }

    [Fact]
    public void Out_whose_parent_is_missing_is_a_bad_argument_naming_out()
    {
        string outDir = Path.Combine(_dir, "no", "such", "out");
        var (code, _, err) = Replay(Input(), outDir);
        Assert.Equal(1, code);
        Assert.Equal($"error: --out {outDir}: no such directory {Path.Combine(_dir, "no", "such")} (create it first)", FirstLine(err));
        Assert.False(Directory.Exists(Path.Combine(_dir, "no")));
    }

    /// <summary>/sys refuses new entries even to root (EPERM): the environment's problem, exit 2, named as --out.</summary>
    [Theory]
    [InlineData("/sys/datapath-replay-out")] // cannot be created
    [InlineData("/sys")]                     // exists, cannot be written
    public void Out_that_may_not_be_written_is_the_environment_naming_out(string outDir)
    {
        var (code, _, err) = Replay(Input(), outDir);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --out {outDir}: ", FirstLine(err), StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_directory_is_bad_input_and_no_out_directory_is_made()
    {
        string outDir = Path.Combine(_dir, "out");
        var (code, _, err) = Replay(_dir, outDir);
        Assert.Equal(1, code);
        Assert.Equal($"error: {_dir}: is a directory, not a pcap or pcapng file", FirstLine(err));
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_usable_out_gets_its_pcaps_and_no_probe_file_is_left()
    {
        string outDir = Path.Combine(_dir, "out");
        var (code, _, err) = Replay(Input(), outDir);
        Assert.True(code == 0, err);
        Assert.All(Directory.GetFiles(outDir), f => Assert.EndsWith(".pcap", f, StringComparison.Ordinal));
        Assert.NotEmpty(Directory.GetFiles(outDir));
    }
}
