using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Datapath.Antrea;
using Datapath.Cli.Output;

namespace Datapath.Cli.Lab;

/// <summary>
/// `datapath lab up|down`: the seed lab on real traffic (docs/lab.md). Up writes a lab file for the
/// seed's worker1 (frontend, backend1) and worker2 (backend2), starts one `datapath run --node`
/// process per worker (GENEVE between them over UDP on two loopback addresses), moves each pod's TAP
/// into a network namespace of its own with the pod's MAC, IP, MTU and default route via its
/// gateway, and starts the backends' HTTP servers. Everything made is written to DIR/lab.state;
/// down removes exactly that and reports workers that died while the lab was up.
/// </summary>
internal sealed class LabRunner(LabOptions options, TextWriter stdout, TextWriter stderr)
{
    private const string StateFile = "lab.state";
    private static readonly (string Pod, string Node)[] s_pods = [("frontend", "worker1"), ("backend1", "worker1"), ("backend2", "worker2")];

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

        var scenario = AntreaScenario.LoadEmbedded();
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
            foreach (var (pod, _) in s_pods)
            {
                string ns = options.Prefix + pod;
                if (Run("ip", ["netns", "list"]).Output.Split('\n').Any(l => l.Split(' ')[0] == ns))
                    throw new LabEnvironmentException($"network namespace {ns} already exists (another lab? use --prefix, or remove it: ip netns del {ns})");
            }
            string labPath = Path.Combine(Dir, "lab.yaml");
            File.WriteAllText(labPath, LabYaml(scenario));
            state.Files.Add(labPath);
            string script = Path.Combine(Dir, "http_server.py");
            File.WriteAllText(script, LabHttpServer.Script);
            state.Files.Add(script);
            Save(state);

            string[] nodes = ["worker1", "worker2"];
            for (int i = 0; i < nodes.Length; i++)
            {
                string node = nodes[i];
                string log = Path.Combine(Dir, node + ".log");
                string socket = Path.Combine(Dir, node + ".sock");
                string[] metrics = options.Metrics is { } m ? ["--metrics", m.Plus(i).ToString()] : [];
                int pid = StartDetached(log, [.. DatapathCommand(), "run", labPath, "--node", node, "--workers", options.Workers.ToString(System.Globalization.CultureInfo.InvariantCulture), .. metrics]);
                state.Workers.Add(new LabProcess { Name = node, Pid = pid, Log = log, Socket = socket });
                state.Files.Add(log);
                Save(state);
            }
            foreach (var w in state.Workers)
                WaitForWorker(w);

            foreach (var (pod, nodeName) in s_pods)
            {
                var (_, model) = scenario.FindPod(pod) ?? throw new LabEnvironmentException($"the seed scenario has no pod {pod}");
                var nodeModel = scenario.Model.Nodes.First(n => n.Name == nodeName);
                var gw = nodeModel.Gateway!;
                string gwIp = gw.Ip!.Split('/')[0];
                string prefixLength = nodeModel.PodCidr?.Split('/') is [_, var len] ? len : "24";
                string ns = options.Prefix + pod;
                string tap = TapName(pod);
                Check("ip", ["netns", "add", ns]);
                state.Namespaces.Add(ns);
                Save(state);
                Check("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
                Check("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
                Check("ip", ["link", "set", "dev", tap, "netns", ns]);
                Check("ip", ["-n", ns, "link", "set", "dev", tap, "name", "eth0"]);
                Check("ip", ["-n", ns, "link", "set", "dev", "eth0", "address", model.Mac, "mtu", (gw.Mtu > 0 ? gw.Mtu : 1450).ToString(CultureInfo.InvariantCulture)]);
                Check("ip", ["-n", ns, "addr", "add", $"{model.Ip}/{prefixLength}", "dev", "eth0"]);
                Check("ip", ["-n", ns, "link", "set", "lo", "up"]);
                Check("ip", ["-n", ns, "link", "set", "eth0", "up"]);
                Check("ip", ["-n", ns, "route", "add", "default", "via", gwIp, "dev", "eth0"]);
                if (options.StaticGatewayArp)
                    Check("ip", ["-n", ns, "neigh", "replace", gwIp, "lladdr", gw.Mac!, "dev", "eth0", "nud", "permanent"]);
                if (pod.StartsWith("backend", StringComparison.Ordinal))
                {
                    string log = Path.Combine(Dir, pod + "-http.log");
                    string ready = Path.Combine(Dir, pod + ".ready");
                    state.Files.Add(log);
                    state.Files.Add(ready);
                    int pid = StartDetached(log, ["ip", "netns", "exec", ns, "python3", script, pod, $"{model.Ip}/{prefixLength}", ready]);
                    state.Servers.Add(new LabProcess { Name = pod, Pid = pid, Log = log, Namespace = ns });
                    Save(state);
                    WaitFor(() => File.Exists(ready), TimeSpan.FromSeconds(20), $"the HTTP server in {ns} did not start (see {log})", () => IsAlive(pid) ? null : $"the HTTP server in {ns} exited (see {log}: {Tail(log)})");
                }
            }
            Save(state);
            stdout.WriteLine($"lab up in {Dir}: namespaces {string.Join(", ", state.Namespaces)}; workers {string.Join(", ", state.Workers.Select(w => $"{w.Name} (pid {w.Pid}, control {w.Socket})"))}");
            stdout.WriteLine($"try: ip netns exec {options.Prefix}frontend curl -s http://10.222.2.34/");
            stdout.WriteLine($"     datapath ctl {state.Workers[0].Socket} dump-flows table=90");
            if (options.Metrics is { } metricsAt)
                stdout.WriteLine($"     curl -s {metricsAt.Url}   (worker2: {metricsAt.Plus(1).Url})");
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

    /// <summary>lab up failed (an environment problem, exit 2): says why and removes what was made.</summary>
    private int Undo(LabState state, string why)
    {
        stderr.WriteLine($"error: lab up: {why}; removing what was made");
        TearDown(state, quiet: true);
        return ExitCodes.Environment;
    }

    /// <summary>The TAP of a pod: PREFIXtap-fe, -b1, -b2 (interface names have at most 15 characters).</summary>
    private string TapName(string pod) => options.Prefix + "tap-" + (pod == "frontend" ? "fe" : "b" + pod[^1]);

    private string LabYaml(AntreaScenario scenario)
    {
        var sb = new StringBuilder();
        sb.Append("# written by `datapath lab up` (docs/lab.md): the seed lab, one process per worker\n");
        sb.Append("scenario: embedded\nnodes:\n");
        string[] underlay = [options.Underlay1, options.Underlay2];
        int i = 0;
        foreach (var node in new[] { "worker1", "worker2" })
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {node}:\n    control: {node}.sock\n    underlay: {underlay[i++]}:6081\n");
            if (LocalProbeFlow(scenario, node) is { } probe)
            {
                // docs/lab.md, "Pinging the gateway": Antrea v0.10 installs this rule; the seed's hand-written table 90 lacks it.
                sb.Append("    addFlows: |\n");
                sb.Append("      # Antrea v0.10 localProbeFlow (IngressRuleTable): the node itself, from its gateway address, may reach its pods\n");
                sb.Append(CultureInfo.InvariantCulture, $"      {probe}\n");
            }
            sb.Append("    ports:\n");
            foreach (var (pod, n) in s_pods)
            {
                if (n != node)
                    continue;
                var (_, model) = scenario.FindPod(pod)!.Value;
                sb.Append(CultureInfo.InvariantCulture, $"      {model.Port}: tap:{TapName(pod)}\n");
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
        foreach (var (pod, _) in s_pods)
        {
            if (Run("ip", ["link", "show", "dev", TapName(pod)]).Code == 0)
                Run("ip", ["link", "del", "dev", TapName(pod)]);
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
