using System.CommandLine;
using Datapath.Classifier;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath dump-flows [--scenario DIR] --node N [table=T] [--names|--no-names]`: a node's OpenFlow
/// tables as `ovs-ofctl dump-flows` prints them (`--no-stats` as `ovs-ofctl dump-flows --no-stats`;
/// port and table names as ovs-ofctl(8)'s `--names`/`--no-names` say, names on a terminal by default).
/// </summary>
internal sealed class DumpFlowsCommand : ICliCommand
{
    public int Order => 40;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var filter = new Argument<string?>("TABLE") { Description = "table=T to print one table", Arity = ArgumentArity.ZeroOrOne };
        var noStats = new Option<bool>("--no-stats") { Description = "Omit duration, n_packets, n_bytes and idle_age, as ovs-ofctl --no-stats" };
        var names = new Option<bool>("--names") { Description = "Print port and table names (the default when the output is a terminal, as ovs-ofctl)" };
        var noNames = new Option<bool>("--no-names") { Description = "Print port and table numbers, and accept only numbers in table=T (as ovs-ofctl)" };
        var command = new Command("dump-flows", "Print a node's flow tables as ovs-ofctl dump-flows does") { filter, noStats, names, noNames };
        args.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.GetValue(names) && parse.GetValue(noNames))
                return CliError.BadInput(stderr, "--names and --no-names: give one of them");
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            var node = ScenarioArguments.FindNode(scenario, parse.GetValue(args.Node)!, stderr, out code);
            if (node is null)
                return code;
            // ovs-ofctl(8): names are accepted unless --no-names, and shown with --names or, by
            // default, when the output is a terminal (should_accept_names, should_show_names).
            bool show = parse.GetValue(names) || (!parse.GetValue(noNames) && !Console.IsOutputRedirected);
            byte? table = null;
            if (parse.GetValue(filter) is { } f)
            {
                string t = f.StartsWith("table=", StringComparison.Ordinal) ? f[6..] : f;
                TableNameMap? accepted = parse.GetValue(noNames) ? null : node.Bridge.TableNames;
                if (!TableNameMap.TryParse(t, accepted, out byte tv) || tv == 255)
                {
                    var (what, hint) = TableNameMap.UnknownTable(t, accepted);
                    return CliError.BadInput(stderr, $"'{f}' is not a table filter: {what}\nhint: {hint ?? "table=T: T is 0..254 or a name of the bridge's tables"}");
                }
                table = tv;
            }
            var lines = node.Bridge.DumpFlows(!parse.GetValue(noStats), table, show ? NamesShown.PortsAndTables : NamesShown.None);
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
