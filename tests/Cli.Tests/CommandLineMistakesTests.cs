using System.CommandLine;
using Datapath.Packets;

namespace Datapath.Cli.Tests;

/// <summary>
/// The command line's contract: a mistake is told in a user's words (no .NET type names, no stack trace),
/// exits 1 and points at `--help`; a bug of ours is one line, exit 70, the stack trace only with --debug.
/// </summary>
public class CommandLineMistakesTests
{
    internal static (int Code, string Out, string Err) Run(string[] args, RootCommand? root = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Cli.CommandLine.Run(args, stdout, stderr, root);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public static TheoryData<string, string> Mistakes => new()
    {
        { "replay in.pcap --out o --seed x", "error: datapath replay: --seed: 'x' is not a whole number" },
        { "replay in.pcap --out o --seed 99999999999", "error: datapath replay: --seed: '99999999999' is not a whole number (-2147483648 to 2147483647)" },
        { "trace --node worker1 --in-port 49 --pcap x.pcap --frame abc", "error: datapath trace: --frame: 'abc' is not a frame number" },
        { "replay in.pcap --out o --workers many", "error: datapath replay: --workers: 'many' is not a number of threads (1 to 256)" },
        { "replay in.pcap --out o --workers 0", "error: datapath replay: --workers: '0' is not a number of threads (1 to 256)" },
        { "trace --node worker1 --in-port 49 --pcap x.pcap --frame 0", "error: datapath trace: --frame: '0' is not a frame number (1 to 2147483647)" },
        { "replay in.pcap --out o --ct-limit 1e3", "error: datapath replay: --ct-limit: '1e3' is not a positive number of connections" },
        { "replay in.pcap --out o --workerz 3", "error: datapath replay: unknown option '--workerz'\nhint: did you mean '--workers'?" },
        { "replay in.pcap --out o --probabilty 3", "error: datapath replay: unknown option '--probabilty'" },
        { "trace --node worker1 --in-port 49 --bridge-onyl tcp", "error: datapath trace: unknown option '--bridge-onyl'\nhint: did you mean '--bridge-only'?" },
        { "raplay in.pcap", "error: unknown command 'raplay'\nhint: did you mean 'replay'?" },
        { "", "error: no command given" },
        { "replay", "error: datapath replay: missing IN: a pcap or pcapng file" },
        { "replay in.pcap", "error: datapath replay: --out or --pcapng is required: --out DIR for per-port pcaps, --pcapng OUT.pcapng for one file, or both" },
        { "decode a.pcap b.pcap", "error: datapath decode: unexpected argument 'b.pcap'" },
        { "run lab.yaml --metrics 9464", "error: datapath run: --metrics: '9464' is not ADDR:PORT (e.g. 127.0.0.1:9464; IPv6 as [::1]:9464)" },
        { "run lab.yaml --metrics 127.0.0.1:0", "error: datapath run: --metrics: '0' is not a TCP port (1 to 65535)" },
        { "lab up --metrics [10.0.0.1]:9464", "error: datapath lab: --metrics: '10.0.0.1' is not an IPv6 address" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_command_line_mistake_is_told_in_a_users_words(string commandLine, string expected)
    {
        var (code, _, err) = Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(expected, err.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("System.", err);
        Assert.DoesNotContain("   at ", err);
        Assert.All(err.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.True(line.StartsWith("error: ", StringComparison.Ordinal) || line.StartsWith("hint: ", StringComparison.Ordinal), line));
        Assert.EndsWith("--help' lists the arguments and options\n", err.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Help_is_not_a_mistake()
    {
        var (code, output, err) = Run(["replay", "--help"]);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("--workers", output);
        Assert.Equal("", err);
    }

    private static RootCommand Throwing(Exception e)
    {
        var root = new RootCommand("test");
        var command = new Command("boom") { new Argument<string[]>("IN") };
        command.SetAction((Func<ParseResult, int>)(_ => throw e));
        root.Subcommands.Add(command);
        root.Options.Add(Cli.CommandLine.DebugOption());
        return root;
    }

    [Fact]
    public void An_exception_no_command_expected_is_an_internal_error_exit_70_without_a_stack_trace()
    {
        var (code, _, err) = Run(["boom", "in.pcap"], Throwing(new NullReferenceException("Object reference not set to an instance of an object.")));

        Assert.Equal(ExitCodes.Internal, code);
        string[] lines = err.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("error: internal error running 'datapath boom in.pcap': NullReferenceException: Object reference not set to an instance of an object.", lines[0]);
        Assert.StartsWith("hint: ", lines[1]);
        Assert.Contains("--debug", lines[1]);
    }

    [Fact]
    public void With_debug_the_internal_error_carries_the_stack_trace()
    {
        var (code, _, err) = Run(["boom", "--debug"], Throwing(new InvalidOperationException("broken")));

        Assert.Equal(ExitCodes.Internal, code);
        Assert.StartsWith("error: internal error running 'datapath boom --debug': InvalidOperationException: broken", err);
        Assert.Contains("   at ", err);
    }

    [Fact]
    public void A_located_error_a_command_let_escape_is_printed_with_its_position_exit_1()
    {
        var (code, _, err) = Run(["boom"], Throwing(new InputException("flows.txt", 3, 17, "0/0: invalid IP address", "give an address")));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("error: flows.txt:3:17: 0/0: invalid IP address\nhint: give an address\n", err.ReplaceLineEndings("\n"));
    }
}
