using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Datapath.Cli.Bench;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath bench classifier|conntrack --ovstest ARGS`: Open vSwitch's own micro-benchmarks
/// (`ovstest test-classifier benchmark`, `ovstest test-conntrack benchmark`, OVS 3.1) run on our
/// classifier and connection tracker with OVS's arguments, workload and output lines, so the two
/// can be compared side by side (scripts/bench-ovs.sh does). Bad arguments: one line, exit 1.
/// </summary>
internal sealed class BenchCommand : ICliCommand
{
    public int Order => 80;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var capture = new Argument<string?>("FILE.pcap") { Description = "A capture (pcap or pcapng) to run through --node's tables from --in-port, timed, outputs counted not written", Arity = ArgumentArity.ZeroOrOne };
        var node = new Option<string?>("--node") { Description = "The node whose tables the capture runs through (e.g. worker1)" };
        var inPort = new Option<string?>("--in-port") { Description = "The port every frame enters on (name or ofport)" };
        var noCache = new Option<bool>("--no-cache") { Description = "Translate every pass on the slow path (no flow cache)" };
        var workers = NumberOption.Create("--workers", "Threads that run frames (default 1), as replay --workers", min: 1, max: 256, defaultValue: 1, what: "a number of threads");
        var command = new Command("bench",
            "Time a capture through a node's tables (bench FILE.pcap --node N --in-port P), or run Open vSwitch's ovstest benchmarks on our classifier and conntrack")
        {
            capture, node, inPort, noCache, workers,
            Classifier(),
            Conntrack(),
        };
        args.AddTo(command, node: false);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            string? path = parse.GetValue(capture);
            string? nodeName = parse.GetValue(node);
            string? portName = parse.GetValue(inPort);
            if (path is null || nodeName is null || portName is null)
                return CliError.BadInput(stderr, "bench: give FILE.pcap --node N --in-port P (or a subcommand: bench classifier|conntrack --ovstest ...)");
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            var n = ScenarioArguments.FindNode(scenario, nodeName, stderr, out code);
            if (n is null)
                return code;
            var port = ScenarioArguments.FindPort(n, portName, stderr, out code);
            if (port is null)
                return code;
            bool cache = !parse.GetValue(noCache);
            foreach (var x in scenario.Cluster.Nodes)
                x.UseFlowCache = cache;
            using var journey = Antrea.ScenarioHosts.BuildJourney(scenario, Engine.JourneyScope.Node, (ulong)(parse.GetValue(args.Seed) ?? 1));
            CaptureBenchmark.Result result;
            try
            {
                result = CaptureBenchmark.Run(journey, journey.GetNode(n.Name), port, path, parse.GetValue(workers), cache);
            }
            catch (Exception e) when (CliError.TryReport(stderr, e, path, out int c))
            {
                return c;
            }
            if (parse.GetValue(args.Json))
                JsonOutput.WriteDocument(stdout, w => CaptureBenchmark.WriteJson(w, result));
            else
                CaptureBenchmark.WriteText(stdout, result);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<bool> NoWarmUpOption() => new("--no-warmup")
    {
        Description = "Time the first run, while the JIT still compiles (by default the same work runs first until the JIT is idle, as OVS's code is compiled ahead of time)",
    };

    private static Option<bool> OvsTestOption(string what) => new("--ovstest")
    {
        Description = $"Reproduce `ovstest {what} benchmark` with its arguments (required: the one workload so far)",
        Arity = ArgumentArity.Zero,
    };

    /// <summary>A whole-number argument whose mistakes name it (<c>N_LOOKUPS: 'many' is not a whole number</c>).</summary>
    private static Argument<long> Number(string name, string description, bool optional = false, long max = int.MaxValue)
    {
        var argument = new Argument<long>(name) { Description = description };
        if (optional)
        {
            argument.Arity = ArgumentArity.ZeroOrOne;
            argument.DefaultValueFactory = _ => 0;
        }
        argument.CustomParser = r =>
        {
            if (r.Tokens.Count == 0)
                return 0;
            string text = r.Tokens[^1].Value;
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) && value >= -max - 1 && value <= max)
                return value;
            r.AddError($"{name}: '{text}' is not a whole number (at most {max})");
            return 0;
        };
        return argument;
    }

    /// <summary>An argument that <see cref="Number"/> bounded to an int.</summary>
    private static int Count(ParseResult parse, Argument<long> argument) => checked((int)parse.GetValue(argument));

    private static int MissingOvsTest(ParseResult parse, string command)
        => CliError.BadInput(parse.InvocationConfiguration.Error,
            $"{command}: --ovstest is required (OVS's benchmark is the one workload so far); see 'datapath {command} --help'");

    private static Command Classifier()
    {
        var ovstest = OvsTestOption("test-classifier");
        var noWarmUp = NoWarmUpOption();
        var rules = Number("N_RULES", "Rules to insert (more make misses less likely)");
        var priorities = Number("N_PRIORITIES", $"Distinct priorities, 1 to {OvsClassifierBenchmark.MaxPriorities}");
        var subtables = Number("N_SUBTABLES", "Distinct wildcard patterns the rules draw from (OVS's n_subtables)");
        var threads = Number("N_THREADS", "Lookup threads");
        var lookups = Number("N_LOOKUPS", "Lookups per thread");
        var command = new Command("classifier",
            "ovstest test-classifier benchmark on our classifier: OVS's rules and lookup flows (seed 1), " +
            "hits, misses and lookups/sec without and with wildcards, printed as OVS prints them")
        {
            ovstest, noWarmUp, rules, priorities, subtables, threads, lookups,
        };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(ovstest))
                return MissingOvsTest(parse, "bench classifier");
            var a = new OvsClassifierBenchmark.Arguments(Count(parse, rules), Count(parse, priorities), Count(parse, subtables),
                Count(parse, threads), Count(parse, lookups));
            if (OvsClassifierBenchmark.Validate(a) is { } error)
                return CliError.BadInput(parse.InvocationConfiguration.Error, $"bench classifier: {error}");
            OvsClassifierBenchmark.Print(parse.InvocationConfiguration.Output, a, warmUp: !parse.GetValue(noWarmUp));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Conntrack()
    {
        var ovstest = OvsTestOption("test-conntrack");
        var noWarmUp = NoWarmUpOption();
        var threads = Number("N_THREADS", "Threads, each with its own batch");
        var packets = Number("N_PACKETS", "Packets per thread (rounded up to whole batches)", max: long.MaxValue - OvsConntrackBenchmark.MaxBatch);
        var batch = Number("BATCH", $"Packets per batch, 1 to {OvsConntrackBenchmark.MaxBatch}");
        var change = Number("CHANGE_CONN", "Non-zero: each packet of a batch is its own connection (default 0: one connection per thread)", optional: true, max: long.MaxValue);
        var command = new Command("conntrack",
            "ovstest test-conntrack benchmark on our connection tracker: OVS's UDP batch through ct(commit,zone=0) " +
            "(ExecuteBatch), printed as OVS prints it")
        {
            ovstest, noWarmUp, threads, packets, batch, change,
        };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(ovstest))
                return MissingOvsTest(parse, "bench conntrack");
            var a = new OvsConntrackBenchmark.Arguments(Count(parse, threads), parse.GetValue(packets), Count(parse, batch),
                parse.GetValue(change) != 0);
            if (OvsConntrackBenchmark.Validate(a) is { } error)
                return CliError.BadInput(parse.InvocationConfiguration.Error, $"bench conntrack: {error}");
            OvsConntrackBenchmark.Print(parse.InvocationConfiguration.Output, a, warmUp: !parse.GetValue(noWarmUp));
            return ExitCodes.Ok;
        });
        return command;
    }
}
