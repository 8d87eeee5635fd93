using System.CommandLine;
using System.Net;
using Datapath.Cli.Lab;
using Datapath.Cli.Output;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath lab up|down [--dir DIR]`: the seed lab on real traffic (docs/lab.md): namespaces
/// frontend, backend1 (worker1) and backend2 (worker2) joined by two `datapath run` processes that
/// exchange GENEVE over UDP on loopback, HTTP servers in the backends. Needs root.
/// </summary>
internal sealed class LabCommand : ICliCommand
{
    public int Order => 72;

    public Command Create()
    {
        var action = new Argument<string>("ACTION") { Description = "up or down" };
        action.AcceptOnlyFromAmong("up", "down");
        var dir = new Option<string>("--dir") { Description = "Where the lab keeps its files (lab.yaml, logs, control sockets, lab.state)", DefaultValueFactory = _ => "/tmp/datapath-lab" };
        var prefix = new Option<string>("--prefix") { Description = "Prefix for the namespaces and TAPs made (frontend -> PREFIXfrontend); at most 6 characters", DefaultValueFactory = _ => "" };
        var underlay = new Option<string>("--underlay") { Description = "The two workers' underlay addresses (loopback), A,B", DefaultValueFactory = _ => "127.0.0.11,127.0.0.12" };
        var staticArp = new Option<bool>("--static-gateway-arp") { Description = "Give each pod a permanent neighbour entry for its gateway instead of letting the host stack answer its ARP" };
        var workers = NumberOption.Create("--workers",
            "Receive threads per port for each node's `datapath run` (its --workers; default 1): multi-queue TAPs",
            min: 1, max: 64, defaultValue: 1, what: "a number of threads");
        var metrics = MetricsOption.Create("Serve each worker's counters in Prometheus text format: worker1 at http://ADDR:PORT/metrics, worker2 at PORT+1");
        var command = new Command("lab", "Build (up) or remove (down) the seed lab on real traffic: namespaces, TAPs, two datapath workers, HTTP servers") { action, dir, prefix, underlay, staticArp, workers, metrics };
        command.SetAction(parse =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            string p = parse.GetValue(prefix)!;
            if (p.Length > 6 || p.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
                return CliError.BadInput(stderr, $"--prefix '{p}': at most 6 letters, digits or '-' (TAP names are limited to 15 characters)");
            var parts = parse.GetValue(underlay)!.Split(',');
            if (parts.Length != 2 || parts.Any(a => !IPAddress.TryParse(a, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) || parts[0] == parts[1])
                return CliError.BadInput(stderr, $"--underlay '{parse.GetValue(underlay)}': expected two different IPv4 addresses A,B (e.g. 127.0.0.11,127.0.0.12)");
            var options = new LabOptions(Path.GetFullPath(parse.GetValue(dir)!), p, parts[0], parts[1], parse.GetValue(staticArp), parse.GetValue(workers), parse.GetValue(metrics));
            var runner = new LabRunner(options, parse.InvocationConfiguration.Output, stderr);
            return parse.GetValue(action) == "up" ? runner.Up() : runner.Down();
        });
        return command;
    }
}
