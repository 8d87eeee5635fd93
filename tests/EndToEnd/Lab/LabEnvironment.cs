using System.Diagnostics;

namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>
/// Decides once whether the lab tests can run here: Linux, root, /dev/net/tun, working `ip netns`,
/// python3 and curl (installed with apt-get when missing). Also runs commands for the tests.
/// </summary>
internal static class LabEnvironment
{
    private static readonly Lazy<string?> s_reason = new(Probe);

    /// <summary>Null when the lab can run, else why not.</summary>
    public static string? SkipReason => s_reason.Value;

    /// <summary>The `datapath` the test output holds (the EndToEnd project references the Cli project).</summary>
    public static string DatapathDll => Path.Combine(AppContext.BaseDirectory, "datapath.dll");

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "the lab needs Linux (network namespaces, TAP devices)";
        if (Run("id", "-u").Out.Trim() != "0")
            return "the lab needs root (network namespaces, TAP devices): run the tests as root";
        if (!File.Exists("/dev/net/tun"))
            return "the lab needs /dev/net/tun (modprobe tun)";
        foreach (var (tool, package) in new[] { ("ip", "iproute2"), ("python3", "python3"), ("curl", "curl"), ("setsid", "util-linux"), ("ping", "iputils-ping") })
        {
            if (!HasCommand(tool))
            {
                if (Run("apt-get", "install", "-y", "-qq", package).Code != 0)
                {
                    Run("apt-get", "update", "-qq");
                    Run("apt-get", "install", "-y", "-qq", package);
                }
                if (!HasCommand(tool))
                    return $"the lab needs {tool} (apt-get install -y {package} failed)";
            }
        }
        string probe = "dpt-labprobe-" + Environment.ProcessId;
        var (code, _, err) = Run("ip", "netns", "add", probe);
        if (code != 0)
            return "network namespaces cannot be created here: " + err.Trim();
        Run("ip", "netns", "del", probe);
        string tap = "dptp" + Environment.ProcessId % 100000;
        (code, _, err) = Run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        if (code != 0)
            return "TAP devices cannot be created here: " + err.Trim();
        Run("ip", "link", "del", "dev", tap);
        if (!File.Exists(DatapathDll))
            return $"datapath.dll is not next to the tests ({DatapathDll})";
        return null;
    }

    public static bool HasCommand(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':').Any(d => File.Exists(Path.Combine(d, name)));

    /// <summary>Runs a command (no shell) and returns its exit code and output; 127 if it cannot start; killed after <paramref name="timeout"/>.</summary>
    /// <summary>
    /// Takes a lab down as `lab down` does, then removes whatever is left with its names as a last resort: its datapath
    /// processes (by pid, only while they are still datapath's) and the namespaces with its prefix, with their processes.
    /// </summary>
    public static void TearDown(string dir, IEnumerable<int> pids, string prefix)
    {
        if (File.Exists(Path.Combine(dir, "lab.state")))
            Datapath("lab", "down", "--dir", dir);
        foreach (int pid in pids)
        {
            if (File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("datapath", StringComparison.Ordinal))
                Run("kill", "-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (var ns in Run("ip", "netns", "list").Out.Split('\n').Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            foreach (var pid in Run("ip", "netns", "pids", ns).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                Run("kill", "-KILL", pid.Trim());
            Run("ip", "netns", "del", ns);
        }
    }

    public static (int Code, string Out, string Err) Run(string file, params string[] args) => RunFor(TimeSpan.FromSeconds(120), file, args);

    public static (int Code, string Out, string Err) RunFor(TimeSpan timeout, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            p.StandardInput.Close();
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                return (124, o.Result, e.Result + $"\n(killed after {timeout.TotalSeconds} s)");
            }
            return (p.ExitCode, o.Result, e.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (127, "", ex.Message);
        }
    }

    /// <summary>`dotnet datapath.dll ARGS`.</summary>
    public static (int Code, string Out, string Err) Datapath(params string[] args) => Run("dotnet", [DatapathDll, .. args]);
}

/// <summary>A fact that needs the lab (root, TAP, namespaces); skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LabFactAttribute : FactAttribute
{
    public override string Skip
    {
        get => base.Skip ?? LabEnvironment.SkipReason!;
        set => base.Skip = value;
    }
}
