using System.CommandLine;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath dump-flows [--scenario DIR] --node N [table=T]`: a node's OpenFlow tables as
/// `ovs-ofctl dump-flows` prints them (`--no-stats` as `ovs-ofctl dump-flows --no-stats`).
/// </summary>
internal sealed class DumpFlowsCommand : ICliCommand
{
    public int Order => 40;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var filter = new Argument<string?>("TABLE") { Description = "table=T to print one table", Arity = ArgumentArity.ZeroOrOne };
        var noStats = new Option<bool>("--no-stats") { Description = "Omit duration, n_packets, n_bytes and idle_age, as ovs-ofctl --no-stats" };
        var command = new Command("dump-flows", "Print a node's flow tables as ovs-ofctl dump-flows does") { filter, noStats };
        args.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            byte? table = null;
            if (parse.GetValue(filter) is { } f)
            {
                string t = f.StartsWith("table=", StringComparison.Ordinal) ? f[6..] : f;
                if (!byte.TryParse(t, out byte tv) || tv > 254)
                    return CliError.BadInput(stderr, $"'{f}' is not a table filter (expected table=0..254)");
                table = tv;
            }
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            var node = ScenarioArguments.FindNode(scenario, parse.GetValue(args.Node)!, stderr, out code);
            if (node is null)
                return code;
            var lines = node.Bridge.DumpFlows(!parse.GetValue(noStats), table);
            if (parse.GetValue(args.Json))
            {
                JsonOutput.WriteDocument(stdout, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("node", node.Name);
                    w.WriteStartArray("flows");
                    foreach (var l in lines)
                        w.WriteStringValue(l.Trim());
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            }
            else
            {
                foreach (var l in lines)
                    stdout.WriteLine(l);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
