using System.Diagnostics;

namespace Datapath.Netfilter.Tests;

/// <summary>A fact that needs root, network namespaces and iptables/ipset/conntrack (installed with apt-get when missing);
/// skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class NetnsFactAttribute : FactAttribute
{
    internal static readonly Lazy<string?> s_reason = new(Probe);

    public NetnsFactAttribute()
    {
        if (s_reason.Value is { } reason)
            Skip = reason;
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "network namespaces need Linux";
        if (Shell.Run("id", "-u").Output.Trim() != "0")
            return "needs root (ip netns add, iptables-restore in a namespace)";
        if (!File.Exists("/usr/sbin/iptables-restore") || !File.Exists("/usr/sbin/ipset") || !File.Exists("/usr/sbin/conntrack"))
        {
            var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
            var r = Shell.Run("apt-get", "install -y iptables ipset conntrack", env: env);
            if (r.ExitCode != 0)
            {
                Shell.Run("apt-get", "update", env: env);
                r = Shell.Run("apt-get", "install -y iptables ipset conntrack", env: env);
            }
            if (r.ExitCode != 0)
                return "iptables/ipset/conntrack are not installed and `apt-get install -y iptables ipset conntrack` failed: " + r.Error.Trim();
        }
        string ns = "nf-probe-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var add = Shell.Run("ip", "netns add " + ns);
        if (add.ExitCode != 0)
            return "cannot create a network namespace: " + add.Error.Trim();
        Shell.Run("ip", "netns del " + ns);
        return null;
    }
}

internal static class Shell
{
    public readonly record struct Result(int ExitCode, string Output, string Error);

    public static Result Run(string file, string arguments, string? stdin = null, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (env is not null)
        {
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        }
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (stdin is not null)
                p.StandardInput.Write(stdin);
            p.StandardInput.Close();
            p.WaitForExit();
            return new Result(p.ExitCode, stdout.Result, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Result(127, string.Empty, e.Message);
        }
    }
}
