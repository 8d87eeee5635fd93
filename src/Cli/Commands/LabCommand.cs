using System.CommandLine;
using System.Net;
using Datapath.Cli.Lab;
using Datapath.Cli.Output;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath lab up|down [--lab NAME | --scenario DIR] [--dir DIR]`: a scenario on real traffic (docs/lab.md): a network
/// namespace per pod and per node, one `datapath run` process per node exchanging the tunnel (GENEVE, or Calico's VXLAN)
/// over UDP on loopback, HTTP servers in the pods the Services send to. The seed lab by default. Needs root.
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
        var underlay = new Option<string?>("--underlay") { Description = "The nodes' underlay addresses (loopback), one per node in the scenario's order: A,B[,C...] (default 127.0.0.11, 127.0.0.12, ...)" };
        var labName = new Option<string?>("--lab") { HelpName = "NAME", Description = "An embedded lab: seed (the default: Antrea v0.10, the seed articles' cluster), calico (Calico VXLAN nodes, kube-proxy iptables) or antrea-2 (the seed's workers in Antrea 2.x's pipeline)" };
        var scenarioDir = new Option<string?>("--scenario") { HelpName = "DIR", Description = "Any scenario directory (cluster.yaml and the files it names), Antrea or Calico" };
        var systemPods = new Option<bool>("--system-pods") { Description = "Also give kube-system's pods (coredns, dashboards) namespaces; by default only the workloads get one" };
        var staticArp = new Option<bool>("--static-gateway-arp") { Description = "Give each pod a permanent neighbour entry for its gateway instead of letting the host stack answer its ARP" };
        var workers = NumberOption.Create("--workers",
            "Receive threads per port for each node's `datapath run` (its --workers; default 1): multi-queue TAPs",
            min: 1, max: 64, defaultValue: 1, what: "a number of threads");
        var metrics = MetricsOption.Create("Serve each node's counters in Prometheus text format: the first at http://ADDR:PORT/metrics, the next at PORT+1, ...");
        var command = new Command("lab", "Build (up) or remove (down) a lab on real traffic (the seed lab, --lab calico|antrea-2 or --scenario DIR): namespaces, TAPs, a datapath per node, HTTP servers")
        {
            action, dir, prefix, labName, scenarioDir, underlay, systemPods, staticArp, workers, metrics,
        };
        command.SetAction(parse =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            string p = parse.GetValue(prefix)!;
            if (p.Length > 6 || p.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
                return CliError.BadInput(stderr, $"--prefix '{p}': at most 6 letters, digits or '-' (TAP names are limited to 15 characters)");
            string[]? parts = parse.GetValue(underlay)?.Split(',');
            if (parts is not null && (parts.Any(a => !IPAddress.TryParse(a, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !Packets.Ipv4Address.TryParse(a, out _))
                || parts.Distinct().Count() != parts.Length))
                return CliError.BadInput(stderr, $"--underlay '{parse.GetValue(underlay)}': expected different IPv4 addresses A,B[,C...], one per node (e.g. 127.0.0.11,127.0.0.12)");
            string? lab = parse.GetValue(labName);
            string? scenario = parse.GetValue(scenarioDir);
            if (lab is not null && scenario is not null)
                return CliError.BadInput(stderr, "--lab and --scenario: give one of them (an embedded lab, or a directory)");
            if (lab is not null && !Antrea.AntreaScenario.EmbeddedLabs.Contains(lab))
            {
                string? near = Packets.DidYouMean.Closest(lab, Antrea.AntreaScenario.EmbeddedLabs);
                return CliError.BadInput(stderr, $"--lab {lab}: no such embedded lab (labs: {string.Join(", ", Antrea.AntreaScenario.EmbeddedLabs)}){(near is null ? "" : $"; did you mean '{near}'?")}");
            }
            var options = new LabOptions(Path.GetFullPath(parse.GetValue(dir)!), p, parts, parse.GetValue(staticArp), parse.GetValue(workers), parse.GetValue(metrics),
                lab, scenario is null ? null : Path.GetFullPath(scenario), parse.GetValue(systemPods));
            var runner = new LabRunner(options, parse.InvocationConfiguration.Output, stderr);
            return parse.GetValue(action) == "up" ? runner.Up() : runner.Down();
        });
        return command;
    }
}
