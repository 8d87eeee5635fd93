using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Datapath.Antrea;
using Datapath.Cli.Output;

namespace Datapath.Cli.Lab;

/// <summary>
/// `datapath lab up|down`: a scenario on real traffic (docs/lab.md): the embedded seed lab (default), the embedded Calico
/// lab (`--lab calico`) or any scenario directory (`--scenario DIR`). Up decides everything first (<see cref="LabPlan"/>:
/// the nodes, their pods, names and addresses), writes a lab file, starts one `datapath run --node` process per node (the
/// tunnel between them over UDP on loopback addresses: GENEVE for Antrea, vxlan.calico's VXLAN for Calico), moves each
/// pod's TAP into a network namespace of its own with the pod's MAC, IP, MTU and default route (via its gateway; on Calico
/// via 169.254.1.1, answered by proxy ARP), gives each node with a host stack a namespace of its own whose processes are
/// the node's (their packets leave through its OUTPUT chains, what its INPUT delivers comes back), and starts HTTP
/// servers in the pods the scenario's Services send to. Everything made is written to DIR/lab.state; down removes
/// exactly that and reports workers that died while the lab was up.
/// </summary>
internal sealed class LabRunner(LabOptions options, TextWriter stdout, TextWriter stderr)
{
    private const string StateFile = "lab.state";

    /// <summary>The on-link next hop of a node's namespace (any address answers: the node's stack replies to its ARP).</summary>
    private const string NodeStackNextHop = "169.254.1.1";

    private string Dir => options.Directory;

    private string StatePath => Path.Combine(Dir, StateFile);

    // ---- up

    public int Up()
    {
        if (Environment.IsPrivilegedProcess is false)
            return CliError.Environment(stderr, "lab up needs root (network namespaces, TAP devices): run it with sudo");
        if (!File.Exists("/dev/net/tun"))
            return CliError.Environment(stderr, "/dev/net/tun is missing: load the tun module (modprobe tun)");
        foreach (var tool in new[] { "ip", "python3", "setsid" })
        {
            if (FindTool(tool) is null)
                return CliError.Environment(stderr, $"'{tool}' is not installed (apt-get install -y {(tool == "ip" ? "iproute2" : tool == "setsid" ? "util-linux" : "python3")})");
        }
        if (File.Exists(Dir))
            return CliError.BadInput(stderr, $"--dir {Dir}: is a file, not a directory");
        if (File.Exists(StatePath) || System.IO.Directory.Exists(StatePath))
            return CliError.Environment(stderr, $"a lab is already up in {Dir} (run: datapath lab down --dir {Dir})");

        AntreaScenario scenario;
        string labScenario;
        try
        {
            scenario = options.Scenario is { } dir ? AntreaScenario.Load(dir) : AntreaScenario.LoadEmbedded(options.Lab ?? "seed");
            labScenario = options.Scenario ?? (options.Lab is null or "seed" ? "embedded" : Live.LabFileParser.EmbeddedPrefix + options.Lab);
        }
        catch (Exception e) when (CliError.TryReport(stderr, e, options.Scenario ?? $"<embedded {options.Lab ?? "seed"} lab>", out int code))
        {
            return code;
        }
        LabPlan plan;
        try
        {
            plan = LabPlan.Make(scenario, labScenario, options);
        }
        catch (LabEnvironmentException e)
        {
            return CliError.BadInput(stderr, $"lab up: {e.Message}");
        }

        var state = new LabState { CreatedDirectory = !System.IO.Directory.Exists(Dir) };
        try
        {
            System.IO.Directory.CreateDirectory(Dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CliError.Environment(stderr, $"lab up: cannot make --dir {Dir}: {e.Message}");
        }
        try
        {
            var existing = Run("ip", ["netns", "list"]).Output.Split('\n').Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
            foreach (var ns in plan.Nodes.Select(n => n.Namespace).OfType<string>().Concat(plan.Pods.Select(p => p.Namespace)))
            {
                if (existing.Contains(ns))
                    throw new LabEnvironmentException($"network namespace {ns} already exists (another lab? use --prefix, or remove it: ip netns del {ns})");
            }
            state.Taps.AddRange(plan.Pods.Select(p => p.Tap).Concat(plan.Nodes.Select(n => n.Tap).OfType<string>()));
            string labPath = Path.Combine(Dir, "lab.yaml");
            File.WriteAllText(labPath, LabYaml(plan));
            state.Files.Add(labPath);
            string script = Path.Combine(Dir, "http_server.py");
            File.WriteAllText(script, LabHttpServer.Script);
            state.Files.Add(script);
            Save(state);

            for (int i = 0; i < plan.Nodes.Count; i++)
            {
                string node = plan.Nodes[i].Model.Name;
                string log = Path.Combine(Dir, node + ".log");
                string socket = Path.Combine(Dir, node + ".sock");
                string[] metrics = options.Metrics is { } m ? ["--metrics", m.Plus(i).ToString()] : [];
                int pid = StartDetached(log, [.. DatapathCommand(), "run", labPath, "--node", node, "--workers", options.Workers.ToString(CultureInfo.InvariantCulture), .. metrics]);
                state.Workers.Add(new LabProcess { Name = node, Pid = pid, Log = log, Socket = socket });
                state.Files.Add(log);
                Save(state);
            }
            foreach (var w in state.Workers)
                WaitForWorker(w);

            foreach (var node in plan.Nodes)
            {
                if (node.Namespace is not null)
                    MakeNodeNamespace(plan, node, state);
            }
            foreach (var pod in plan.Pods)
                MakePod(plan, pod, script, state);
            Save(state);
            stdout.WriteLine($"lab up in {Dir} ({scenario.Source}): namespaces {string.Join(", ", state.Namespaces)}; workers {string.Join(", ", state.Workers.Select(w => $"{w.Name} (pid {w.Pid}, control {w.Socket})"))}");
            foreach (var hint in Hints(plan))
                stdout.WriteLine(hint);
            if (options.Metrics is { } metricsAt)
                stdout.WriteLine($"     curl -s {metricsAt.Url}   (the next node's: {metricsAt.Plus(1).Url}, and so on)");
            stdout.WriteLine($"down: datapath lab down --dir {Dir}");
            return ExitCodes.Ok;
        }
        catch (LabEnvironmentException e)
        {
            return Undo(state, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Undo(state, $"writing in {Dir}: {e.Message}");
        }
    }

    /// <summary>A pod's namespace: its TAP as eth0 with the pod's MAC, address, MTU and default route; its HTTP server if it has ports.</summary>
    private void MakePod(LabPlan plan, LabPlanPod pod, string script, LabState state)
    {
        var model = pod.Model;
        string ns = pod.Namespace;
        string gwIp, prefixLength, gwMac;
        int mtu;
        if (plan.IsCalico)
        {
            // Calico: the pod's /32, its gateway 169.254.1.1 on-link (the cali veth answers by proxy ARP).
            gwIp = "169.254.1.1";
            prefixLength = "32";
            gwMac = model.PortMac;
            mtu = pod.Node.Vxlan?.Mtu is > 0 and var m ? m : 1450;
        }
        else
        {
            var gw = pod.Node.Gateway ?? throw new LabEnvironmentException($"node {pod.Node.Name} has no gateway for pod {pod.Name}");
            gwIp = gw.Ip!.Split('/')[0];
            prefixLength = pod.Node.PodCidr?.Split('/') is [_, var len] ? len : "24";
            gwMac = gw.Mac!;
            mtu = gw.Mtu > 0 ? gw.Mtu : 1450;
        }
        string tap = pod.Tap;
        AddNamespace(ns, state);
        Check("ip", ["link", "set", "dev", tap, "netns", ns]);
        Check("ip", ["-n", ns, "link", "set", "dev", tap, "name", "eth0"]);
        Check("ip", ["-n", ns, "link", "set", "dev", "eth0", "address", model.Mac, "mtu", mtu.ToString(CultureInfo.InvariantCulture)]);
        Check("ip", ["-n", ns, "addr", "add", $"{model.Ip}/{prefixLength}", "dev", "eth0"]);
        Check("ip", ["-n", ns, "link", "set", "lo", "up"]);
        Check("ip", ["-n", ns, "link", "set", "eth0", "up"]);
        if (plan.IsCalico)
            Check("ip", ["-n", ns, "route", "add", gwIp, "dev", "eth0", "scope", "link"]);
        Check("ip", ["-n", ns, "route", "add", "default", "via", gwIp, "dev", "eth0"]);
        if (options.StaticGatewayArp)
            Check("ip", ["-n", ns, "neigh", "replace", gwIp, "lladdr", gwMac, "dev", "eth0", "nud", "permanent"]);
        if (pod.ServerPorts.Count == 0)
            return;
        string log = Path.Combine(Dir, pod.Name + "-http.log");
        string ready = Path.Combine(Dir, pod.Name + ".ready");
        state.Files.Add(log);
        state.Files.Add(ready);
        int pid = StartDetached(log, ["ip", "netns", "exec", ns, "python3", script, pod.Name, $"{model.Ip}/{prefixLength}", ready,
            .. pod.ServerPorts.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        state.Servers.Add(new LabProcess { Name = pod.Name, Pid = pid, Log = log, Namespace = ns });
        Save(state);
        WaitFor(() => File.Exists(ready), TimeSpan.FromSeconds(20), $"the HTTP server in {ns} did not start (see {log})", () => IsAlive(pid) ? null : $"the HTTP server in {ns} exited (see {log}: {Tail(log)})");
    }

    /// <summary>
    /// A node's namespace: its local TAP as eth0 (the MAC the lab file gives it: the node's), the host's addresses, and one
    /// route per host route through the node's stack with the source the host would pick (<see cref="LabPlan.NodeStack"/>).
    /// </summary>
    private void MakeNodeNamespace(LabPlan plan, LabPlanNode node, LabState state)
    {
        string ns = node.Namespace!;
        var (addresses, routes, mtu) = plan.NodeStack(node);
        AddNamespace(ns, state);
        Check("ip", ["link", "set", "dev", node.Tap!, "netns", ns]);
        Check("ip", ["-n", ns, "link", "set", "dev", node.Tap!, "name", "eth0"]);
        Check("ip", ["-n", ns, "link", "set", "dev", "eth0", "mtu", mtu.ToString(CultureInfo.InvariantCulture)]);
        foreach (var a in addresses)
            Check("ip", ["-n", ns, "addr", "add", a + "/32", "dev", "eth0"]);
        Check("ip", ["-n", ns, "link", "set", "lo", "up"]);
        Check("ip", ["-n", ns, "link", "set", "eth0", "up"]);
        foreach (var (prefix, source) in routes)
            Check("ip", ["-n", ns, "route", "replace", prefix == "0.0.0.0/0" ? "default" : prefix, "via", NodeStackNextHop, "dev", "eth0", "onlink", "src", source]);
    }

    private void AddNamespace(string ns, LabState state)
    {
        Check("ip", ["netns", "add", ns]);
        state.Namespaces.Add(ns);
        Save(state);
        Check("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
        Check("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
    }

    /// <summary>What to try: a curl from the first pod (or node) to a pod with a server on another node, and to each TCP ClusterIP.</summary>
    private IEnumerable<string> Hints(LabPlan plan)
    {
        var pods = plan.Pods.ToList();
        string? from = pods.FirstOrDefault(p => p.ServerPorts.Count == 0)?.Namespace ?? pods.FirstOrDefault()?.Namespace ?? plan.Nodes.Select(n => n.Namespace).FirstOrDefault(n => n is not null);
        if (from is null)
            yield break;
        string first = "try: ";
        if (pods.FirstOrDefault(p => p.ServerPorts.Count > 0 && p.Namespace != from) is { } server)
        {
            int port = server.ServerPorts.FirstOrDefault(p => p != LabPlan.ExtraServerPort, LabPlan.ExtraServerPort);
            yield return $"{first}ip netns exec {from} curl -s http://{server.Model.Ip}:{port.ToString(CultureInfo.InvariantCulture)}/";
            first = "     ";
        }
        foreach (var s in plan.Scenario.Model.Services.Where(s => string.Equals(s.Protocol, "TCP", StringComparison.OrdinalIgnoreCase)
            && s.Endpoints.Any(e => pods.Exists(p => p.ServerPorts.Count > 0 && e.StartsWith(p.Model.Ip + ":", StringComparison.Ordinal)))))
        {
            yield return $"{first}ip netns exec {from} curl -s http://{s.ClusterIp}:{s.Port.ToString(CultureInfo.InvariantCulture)}/   # {s.Name}";
            first = "     ";
        }
        if (plan.Nodes.FirstOrDefault(n => n.Namespace is not null) is { } node)
            yield return $"     ip netns exec {node.Namespace} curl ...   # from {node.Model.Name} itself: its OUTPUT chains, DNAT and MASQUERADE";
        yield return $"     datapath ctl {Path.Combine(Dir, plan.Nodes[0].Model.Name + ".sock")} stats";
    }

    /// <summary>lab up failed (an environment problem, exit 2): says why and removes what was made.</summary>
    private int Undo(LabState state, string why)
    {
        stderr.WriteLine($"error: lab up: {why}; removing what was made");
        TearDown(state, quiet: true);
        return ExitCodes.Environment;
    }

    private string LabYaml(LabPlan plan)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"# written by `datapath lab up` (docs/lab.md): {plan.Scenario.Source}, one process per node\n");
        sb.Append(inv, $"scenario: {plan.LabScenario}\nnodes:\n");
        int port = plan.Scenario.Model.Cluster.Tunnel.UdpPort;
        foreach (var node in plan.Nodes)
        {
            string name = node.Model.Name;
            sb.Append(inv, $"  {name}:\n    control: {name}.sock\n    underlay: {node.Underlay}:{port.ToString(inv)}\n");
            if (!plan.IsCalico && LocalProbeFlow(plan.Scenario, name) is { } probe)
            {
                // docs/lab.md, "Pinging the gateway": Antrea v0.10 installs this rule; the seed's hand-written table 90 lacks it.
                sb.Append("    addFlows: |\n");
                sb.Append("      # Antrea v0.10 localProbeFlow (IngressRuleTable): the node itself, from its gateway address, may reach its pods\n");
                sb.Append(inv, $"      {probe}\n");
            }
            if (node.Tap is not null)
                sb.Append(inv, $"    local: {{ bind: tap:{node.Tap}, mac: {node.Model.NodeMac} }}   # the node's own processes (namespace {node.Namespace})\n");
            if (node.Pods.Count > 0)
            {
                sb.Append("    ports:\n");
                foreach (var pod in node.Pods)
                    sb.Append(inv, $"      {pod.Model.Port}: tap:{pod.Tap}   # {pod.Model.Pod}\n");
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// Antrea v0.10's localProbeFlow for <paramref name="node"/>: table 90 (IngressRuleTable), above every
    /// NetworkPolicy rule, lets in IP traffic whose source is the node's own gateway address, so the kubelet's
    /// probes (and a ping from the node) reach local pods whatever the policies say. Antrea matched the source
    /// address until v0.13 (antrea-io/antrea#1816 switched to a packet mark). The articles do not show table 90;
    /// the scenario's hand-written table 90 omits the rule, so the lab adds it.
    /// </summary>
    internal static string? LocalProbeFlow(AntreaScenario scenario, string node)
    {
        string? ip = scenario.Model.Nodes.FirstOrDefault(n => n.Name == node)?.Gateway?.Ip;
        if (ip is null)
            return null;
        int slash = ip.IndexOf('/', StringComparison.Ordinal);
        return $"cookie=0x1000000000000, table=90, priority=210,ip,nw_src={(slash < 0 ? ip : ip[..slash])} actions=resubmit(,105)";
    }

    private void WaitForWorker(LabProcess w)
    {
        WaitFor(() =>
        {
            using var quiet = new StringWriter();
            return File.Exists(w.Socket) && Commands.CtlCommand.Send(w.Socket!, ["stats"], quiet, quiet) == ExitCodes.Ok;
        }, TimeSpan.FromSeconds(90), $"{w.Name} did not come up within 90 s (see {w.Log})",
        () => IsAlive(w.Pid) ? null : $"{w.Name} (pid {w.Pid}) exited: {Tail(w.Log)}");
    }

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string timeoutMessage, Func<string?> failed)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (failed() is { } why)
                throw new LabEnvironmentException(why);
            if (sw.Elapsed > timeout)
                throw new LabEnvironmentException(timeoutMessage);
            Thread.Sleep(200);
        }
    }

    /// <summary>How to run this very `datapath`: the apphost, or `dotnet datapath.dll`.</summary>
    private static string[] DatapathCommand()
    {
        string host = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? [host, typeof(LabRunner).Assembly.Location]
            : [host];
    }

    /// <summary>Starts a process in its own session, stdout and stderr to <paramref name="log"/>; returns its pid.</summary>
    private static int StartDetached(string log, string[] command)
    {
        var (code, output, error) = Run("/bin/sh", ["-c", "log=$1; shift; setsid \"$@\" >\"$log\" 2>&1 </dev/null & echo $!", "sh", log, .. command]);
        if (code != 0 || !int.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            throw new LabEnvironmentException($"cannot start {string.Join(' ', command)}: {error.Trim()}");
        return pid;
    }

    // ---- down

    public int Down()
    {
        if (!File.Exists(StatePath))
            return CliError.BadInput(stderr, $"no lab is up in {Dir} ({StatePath} does not exist)");
        LabState state;
        try
        {
            state = JsonSerializer.Deserialize(File.ReadAllText(StatePath), LabStateJsonContext.Default.LabState) ?? new LabState();
        }
        catch (JsonException e)
        {
            return CliError.BadInput(stderr, $"{StatePath}: not a lab state file: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CliError.Environment(stderr, $"{StatePath}: cannot read it: {e.Message}");
        }
        int dead = TearDown(state, quiet: false);
        if (dead > 0)
        {
            stderr.WriteLine($"error: lab down: {dead} worker process(es) had died while the lab was up (see above); everything else was removed");
            return ExitCodes.Environment;
        }
        stdout.WriteLine($"lab down: removed {string.Join(", ", state.Namespaces)} and stopped {state.Workers.Count} worker(s)");
        return ExitCodes.Ok;
    }

    /// <summary>Removes what <paramref name="state"/> lists; returns how many workers were found dead.</summary>
    private int TearDown(LabState state, bool quiet)
    {
        int dead = 0;
        foreach (var w in state.Workers)
        {
            if (!IsAlive(w.Pid) || !IsDatapath(w.Pid))
            {
                dead++;
                if (!quiet)
                    stderr.WriteLine($"lab down: worker {w.Name} (pid {w.Pid}) was not running: it died or was killed. Last lines of {w.Log}:\n{Tail(w.Log)}");
                continue;
            }
            Run("kill", ["-TERM", w.Pid.ToString(CultureInfo.InvariantCulture)]);
        }
        foreach (var w in state.Workers)
        {
            var sw = Stopwatch.StartNew();
            while (IsAlive(w.Pid) && IsDatapath(w.Pid) && sw.Elapsed < TimeSpan.FromSeconds(15))
                Thread.Sleep(100);
            if (IsAlive(w.Pid) && IsDatapath(w.Pid))
            {
                stderr.WriteLine($"lab down: worker {w.Name} (pid {w.Pid}) ignored SIGTERM for 15 s: killing it");
                Run("kill", ["-KILL", w.Pid.ToString(CultureInfo.InvariantCulture)]);
            }
            if (w.Socket is not null && File.Exists(w.Socket))
                File.Delete(w.Socket);
        }
        foreach (var ns in state.Namespaces)
        {
            foreach (var pid in Run("ip", ["netns", "pids", ns]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                Run("kill", ["-KILL", pid]);
            var r = Run("ip", ["netns", "del", ns]);
            if (r.Code != 0 && !quiet)
                stderr.WriteLine($"lab down: ip netns del {ns}: {r.Error.Trim()}");
        }
        foreach (var s in state.Servers)
        {
            if (IsAlive(s.Pid))
                Run("kill", ["-KILL", s.Pid.ToString(CultureInfo.InvariantCulture)]);
        }
        // TAPs still in the root namespace (up failed before moving them) die with their worker; check anyway.
        foreach (var tap in state.Taps)
        {
            if (Run("ip", ["link", "show", "dev", tap]).Code == 0)
                Run("ip", ["link", "del", "dev", tap]);
        }
        foreach (var f in state.Files.Append(StatePath))
        {
            try
            {
                File.Delete(f);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!quiet)
                    stderr.WriteLine($"lab down: cannot remove {f}: {e.Message}");
            }
        }
        if (state.CreatedDirectory && System.IO.Directory.Exists(Dir) && !System.IO.Directory.EnumerateFileSystemEntries(Dir).Any())
            System.IO.Directory.Delete(Dir);
        return dead;
    }

    // ---- helpers

    private void Save(LabState state) => File.WriteAllText(StatePath, JsonSerializer.Serialize(state, LabStateJsonContext.Default.LabState));

    /// <summary>True while the process exists and is not a zombie.</summary>
    internal static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>The pid still runs a datapath (and not a process that reused the number).</summary>
    private static bool IsDatapath(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("datapath", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Tail(string path, int lines = 8)
    {
        try
        {
            return string.Join('\n', File.ReadAllLines(path).TakeLast(lines).Select(l => "    " + l));
        }
        catch (IOException)
        {
            return "    (no log)";
        }
    }

    private static string? FindTool(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static void Check(string file, string[] args)
    {
        var (code, _, error) = Run(file, args);
        if (code != 0)
            throw new LabEnvironmentException($"{file} {string.Join(' ', args)} failed: {error.Trim()}");
    }

    private static (int Code, string Output, string Error) Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            p.StandardInput.Close();
            var stdoutTask = p.StandardOutput.ReadToEndAsync();
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdoutTask.Result, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, "", $"{file}: {e.Message}");
        }
    }
}
