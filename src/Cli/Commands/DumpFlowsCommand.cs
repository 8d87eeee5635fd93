using System.CommandLine;
using Datapath.Classifier;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath dump-flows [--scenario DIR] --node N [FILTER] [--sort[=FIELD]|--rsort[=FIELD]] [--names|--no-names]`: a node's OpenFlow
/// tables as `ovs-ofctl dump-flows` prints them (`--no-stats` as `ovs-ofctl dump-flows --no-stats`;
/// port and table names as ovs-ofctl(8)'s `--names`/`--no-names` say, names on a terminal by default).
/// </summary>
internal sealed class DumpFlowsCommand : ICliCommand
{
    public int Order => 40;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var filter = new Argument<string?>("FILTER")
        {
            Description = "Print only the flows within this match, as ovs-ofctl's dump-flows FLOWS takes it (table=T, table=NAME, ip,nw_src=10.222.1.48, ...)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var noStats = new Option<bool>("--no-stats") { Description = "Omit duration, n_packets, n_bytes and idle_age, as ovs-ofctl --no-stats" };
        var names = new Option<bool>("--names") { Description = "Print port and table names (the default when the output is a terminal, as ovs-ofctl)" };
        var noNames = new Option<bool>("--no-names") { Description = "Print port and table numbers, and accept only numbers in table=T (as ovs-ofctl)" };
        var sort = new Option<string?>("--sort") { Description = "Sort by FIELD ascending (--sort=FIELD; priority without one), across tables, as ovs-ofctl --sort", Arity = ArgumentArity.ZeroOrOne };
        var rsort = new Option<string?>("--rsort") { Description = "Sort by FIELD descending (--rsort=FIELD; priority without one), as ovs-ofctl --rsort", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("dump-flows", "Print a node's flow tables as ovs-ofctl dump-flows does") { filter, noStats, names, noNames, sort, rsort };
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
            IEnumerable<FlowRule> rules;
            if (parse.GetValue(filter) is not { } f)
                rules = node.Bridge.Tables.Rules();
            else if (f.StartsWith("table=", StringComparison.Ordinal) && !f.Contains(',', StringComparison.Ordinal))
            {
                string t = f[6..];
                TableNameMap? accepted = parse.GetValue(noNames) ? null : node.Bridge.TableNames;
                if (!TableNameMap.TryParse(t, accepted, out byte tv) || tv == 255)
                {
                    var (what, hint) = TableNameMap.UnknownTable(t, accepted);
                    return CliError.BadInput(stderr, $"'{f}' is not a table filter: {what}\nhint: {hint ?? "table=T: T is 0..254 or a name of the bridge's tables"}");
                }
                rules = node.Bridge.Tables.Rules(tv);
            }
            else
            {
                try
                {
                    var pf = FlowParser.ParseFilter(f, parse.GetValue(noNames) ? node.Bridge : node.Bridge.InputNames, "FILTER");
                    rules = node.Bridge.Tables.Rules(pf.Table).Where(r => r.Match.IsWithin(pf.Match)).ToList();
                }
                catch (Packets.InputException e)
                {
                    return CliError.Located(stderr, e);
                }
            }
            if (parse.GetResult(sort) is not null || parse.GetResult(rsort) is not null)
            {
                var criteria = new List<FlowSortCriterion>();
                try
                {
                    if (parse.GetResult(sort) is not null)
                        criteria.Add(FlowSortCriterion.Parse(parse.GetValue(sort), descending: false, "--sort"));
                    if (parse.GetResult(rsort) is not null)
                        criteria.Add(FlowSortCriterion.Parse(parse.GetValue(rsort), descending: true, "--rsort"));
                }
                catch (Packets.InputException e)
                {
                    return CliError.BadInput(stderr, $"{e.File}: {e.What}");
                }
                rules = FlowSortCriterion.Sort(rules, criteria);
            }
            var lines = node.Bridge.DumpFlows(rules, !parse.GetValue(noStats), show ? NamesShown.PortsAndTables : NamesShown.None);
            DumpLines.Write(stdout, parse.GetValue(args.Json), node.Name, "flows", lines);
            return ExitCodes.Ok;
        });
        return command;
    }
}
