using Datapath.Cli.Scenario;
using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Datapath.Antrea;
using Datapath.Classifier;
using Datapath.Cli.Output;
using Datapath.Io.Live;
using Datapath.Live;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath run LAB.yaml [--node N] [--workers N]`: the live daemon (docs/lab.md). Builds the lab's nodes, binds
/// their ports to TAPs or interfaces and their tunnels to UDP sockets, serves a control socket per
/// node, and runs until SIGINT or SIGTERM, then stops cleanly (loops stopped, TAPs it created removed,
/// sockets closed). Log lines go to stderr.
/// </summary>
internal sealed class RunCommand : ICliCommand
{
    public int Order => 70;

    public Command Create()
    {
        var lab = new Argument<string>("LAB.yaml") { Description = "The lab file (docs/lab.md): scenario, per node the port bindings, underlay address and control socket" };
        var node = new Option<string?>("--node") { Description = "Run only this node of the lab (run one process per node to exchange GENEVE over real UDP)" };
        var noCache = new Option<bool>("--no-cache") { Description = "Translate every pass on the slow path (no flow cache); the results are the same" };
        var workers = NumberOption.Create("--workers",
            "Receive threads per port (default 1): a multi-queue TAP's queues or AF_PACKET sockets in one fanout group, spread by a symmetric flow hash",
            min: 1, max: 64, defaultValue: 1, what: "a number of threads");
        var metrics = MetricsOption.Create("Serve the nodes' counters in Prometheus text format at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464; docs/lab.md lists the series)");
        var command = new Command("run", "Run the datapath live: bridge TAPs and interfaces through the lab's nodes, GENEVE over UDP, control sockets") { lab, node, noCache, workers, metrics };
        var ctLimits = new ConntrackLimitOptions();
        ctLimits.AddTo(command);
        command.SetAction(parse => Run(parse.GetValue(lab)!, parse.GetValue(node), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, stopWhen: null,
            useFlowCache: !parse.GetValue(noCache), limits: ctLimits.Get(parse), workers: parse.GetValue(workers), metrics: parse.GetValue(metrics)));
        return command;
    }

    /// <summary>Runs the daemon until a signal (or until <paramref name="stopWhen"/> is set, for tests). Returns the exit code.</summary>
    internal static int Run(string labPath, string? onlyNode, TextWriter stdout, TextWriter stderr, ManualResetEventSlim? stopWhen, bool useFlowCache = true,
        Conntrack.ConntrackLimits? limits = null, int workers = 1, MetricsEndpoint? metrics = null)
    {
        var log = TextWriter.Synchronized(stderr);
        void Log(string message)
        {
            log.WriteLine($"datapath[{Environment.ProcessId}] {message}");
            log.Flush();
        }

        LabFile lab;
        LiveDaemon daemon;
        try
        {
            lab = LabFileParser.Load(labPath);
            daemon = LiveDaemon.Build(lab, onlyNode, Log);
            daemon.UseFlowCache = useFlowCache;
            daemon.Workers = workers;
            daemon.Metrics = metrics;
            daemon.ConntrackLimits = limits ?? Conntrack.ConntrackLimits.None;
        }
        catch (Exception e) when (CliError.TryReport(stderr, e, labPath, out int code))
        {
            return code;
        }

        using (daemon)
        {
            using var owned = stopWhen is null ? new ManualResetEventSlim() : null;
            var stop = stopWhen ?? owned!;
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Signal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Signal);
            void Signal(PosixSignalContext context)
            {
                context.Cancel = true;
                Log($"{context.Signal}: stopping");
                stop.Set();
            }

            try
            {
                daemon.Start(TimeProvider.System);
            }
            catch (LiveIoException e)
            {
                return e.ExitCode == ExitCodes.BadInput ? CliError.BadInput(stderr, e.Message) : CliError.Environment(stderr, e.Message);
            }
            catch (Datapath.Packets.InputException e)
            {
                return CliError.Located(stderr, e);
            }
            catch (SocketException e)
            {
                return CliError.Environment(stderr, $"cannot bind the underlay socket: {e.Message} (is another daemon using this address? on loopback, any 127.x.y.z works)");
            }
            catch (IOException e)
            {
                return CliError.Environment(stderr, e.Message);
            }
            stdout.WriteLine($"datapath run {lab.Path}: {string.Join(", ", daemon.Running.Select(n => $"{n.Name} (control {n.ControlSocket})"))} up{(workers > 1 ? $", {workers} receive threads per port" : "")}{(daemon.MetricsUrl is { } url ? $", metrics at {url}" : "")}; SIGINT or SIGTERM stops");
            stdout.Flush();
            stop.Wait();
            daemon.Stop();
        }
        return ExitCodes.Ok;
    }
}
