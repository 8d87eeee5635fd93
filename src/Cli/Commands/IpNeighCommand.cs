using System.CommandLine;
using Datapath.Antrea;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;
using Datapath.Engine.Host;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath ip-neigh [--scenario DIR] --node N`: a node's ARP cache as the scenario loads it, printed as
/// <c>ip neigh show</c> prints it (the scenario's entries are PERMANENT; everything else the host learns by ARP while
/// traffic runs: `replay --dump-neigh` prints the table after a replay, `ctl SOCKET ip neigh` a live node's).
/// </summary>
internal sealed class IpNeighCommand : ICliCommand
{
    public int Order => 44;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var command = new Command("ip-neigh", "Print a node's host ARP cache as ip neigh show does (replay --dump-neigh: after a replay)");
        args.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            string name = parse.GetValue(args.Node)!;
            if (ScenarioArguments.FindNode(scenario, name, stderr, out code) is null)
                return code;
            if (!ScenarioHosts.TryConfig(scenario, name, seed: 1, out var config))
                return CliError.BadInput(stderr, $"node '{name}' has no host behind a gateway, so no neighbour table");
            using var host = HostStack.Create(config);
            if (parse.GetValue(args.Json))
                JsonOutput.WriteDocument(stdout, w => HostDumps.WriteNeighborsJson(w, host));
            else
                foreach (string line in host.DumpIpNeigh())
                    stdout.WriteLine(line);
            return ExitCodes.Ok;
        });
        return command;
    }
}
