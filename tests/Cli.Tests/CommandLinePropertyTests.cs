using CsCheck;
using Datapath.Cli.Tests.Commands;

namespace Datapath.Cli.Tests;

/// <summary>
/// Mutated command lines, as a hostile or hurried user types them: valid `datapath` command lines with a
/// token deleted, doubled, swapped, cut short or replaced by a hostile value (empty, a huge number, a
/// typo'd option, junk flow text). Whatever the result, the contract holds: exit 0, 1 or 2 (never 70,
/// never an exception), and every mistake is told in words — no .NET type name, no stack trace.
/// </summary>
public sealed class CommandLinePropertyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("datapath-cli-fuzz-").FullName;
    private readonly string _pcap;

    public CommandLinePropertyTests()
    {
        _pcap = DecodeFrames.WritePcap(DecodeFrames.Mixed());
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        File.Delete(_pcap);
    }

    private const string Syn = "tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_src=56670,tp_dst=80,tcp_flags=syn";

    private string[][] ValidLines() =>
    [
        ["decode", _pcap],
        ["decode", _pcap, "--json"],
        ["trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", Syn],
        ["trace", "--node", "worker1", "--in-port", "49", "--pcap", _pcap, "--frame", "2", "--bridge-only"],
        ["dump-flows", "--node", "worker2", "table=50", "--no-stats"],
        ["dump-flows", "--node", "worker1", "--json"],
        ["replay", "--node", "worker1", "--in-port", "antrea-gw0", _pcap, "--dump-conntrack", "--workers", "2", "--ct-limit", "100", "--ct-zone-limit", "65520=10", "--seed", "7"],
    ];

    /// <summary>Values a hostile user puts where a token was.</summary>
    private static readonly string[] Hostile =
    [
        "", " ", "-", "--", "---", "-1", "0", "99999999999", "1e3", "0x10", "x", "🙂", "--bogus", "--workerz", "-h=3",
        "=", "table=", "table=999", "nw_src=", "tcp,nw_src=10.0.0.1/99", "ip,nw_dst=banana", "tcp,tp_dst=70000",
        "in_port=", "65520=", "=10", "65536=1", "worker9", "antrea-gw9", "/nonexistent/file.pcap", "/dev/null", "/",
        "--node", "--in-port", "--scenario", "--frame", "--seed", "@", "@/nonexistent", "a\tb", "\n",
    ];

    private Gen<string[]> Mutated()
    {
        string[][] lines = ValidLines();
        return Gen.Int[0, lines.Length - 1].SelectMany(li => Gen.Int[1, 3].SelectMany(n => Mutation(lines[li]).Array[n].Select(ms => Apply(lines[li], ms))));
    }

    private static Gen<Func<List<string>, int, bool>> Mutation(string[] line) => Gen.Int[0, 5].SelectMany(kind => Gen.Int[0, 1000].Select(r => (Func<List<string>, int, bool>)((tokens, _) =>
    {
        if (tokens.Count == 0)
            return false;
        int at = r % tokens.Count;
        switch (kind)
        {
            case 0: tokens.RemoveAt(at); break;
            case 1: tokens.Insert(at, tokens[at]); break;
            case 2: (tokens[at], tokens[(at + 1) % tokens.Count]) = (tokens[(at + 1) % tokens.Count], tokens[at]); break;
            case 3: tokens[at] = tokens[at][..(tokens[at].Length / 2)]; break;
            default: tokens[at] = Hostile[r % Hostile.Length]; break;
        }
        return true;
    })));

    private string[] Apply(string[] line, Func<List<string>, int, bool>[] mutations)
    {
        var tokens = line.ToList();
        foreach (var m in mutations)
            m(tokens, 0);
        // replay writes its pcaps: always into this test's directory, whatever became of the rest.
        if (tokens.FirstOrDefault() == "replay")
            tokens.AddRange(["--out", Path.Combine(_dir, "out")]);
        return [.. tokens];
    }

    [Fact]
    [Trait("Category", PropertyRun.Trait)]
    public void A_mutated_command_line_is_run_or_told_never_crashes()
    {
        PropertyRun.Check(nameof(A_mutated_command_line_is_run_or_told_never_crashes), Mutated(), args =>
        {
            var (code, _, err) = CommandLineMistakesTests.Run(args);

            Assert.True(code is ExitCodes.Ok or ExitCodes.BadInput or ExitCodes.Environment, $"exit {code}: {err}");
            Assert.DoesNotContain("   at ", err);
            Assert.DoesNotContain("System.", err);
            Assert.DoesNotContain("Exception", err);
            if (code != ExitCodes.Ok)
                Assert.Contains("error: ", err);
        }, cases: 400, print: args => string.Join(' ', args.Select(a => $"'{a}'")));
    }
}
