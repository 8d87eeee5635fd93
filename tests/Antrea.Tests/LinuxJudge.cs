using System.Diagnostics;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Linux itself as the judge of interface names and MTUs: <c>ip link add name NAME type bridge</c> and
/// <c>ip link set dev g mtu N</c>, run in a network namespace of their own (<c>unshare -n</c>) so the
/// host is not touched. One process answers a whole table.
/// </summary>
internal static class LinuxJudge
{
    private static readonly Lazy<string?> s_skip = new(Probe);

    /// <summary>Why the judge cannot run here (not root, no unshare), or null.</summary>
    public static string? SkipReason => s_skip.Value;

    /// <summary>For each name: does the kernel (through iproute2) make an interface of that name?</summary>
    public static bool[] TakesInterfaceNames(IReadOnlyList<string> names)
        => Verdicts("for n in \"$@\"; do if ip link add name \"$n\" type bridge 2>/dev/null; then echo 1; ip link del \"$n\"; else echo 0; fi; done", names);

    /// <summary>For each MTU: does the kernel set it on an interface (a bridge without ports; minimum 68, maximum 65535)?</summary>
    public static bool[] TakesMtus(IReadOnlyList<string> mtus)
        => Verdicts("ip link add name g type bridge || exit 1; for m in \"$@\"; do if ip link set dev g mtu \"$m\" 2>/dev/null; then echo 1; else echo 0; fi; done", mtus);

    private static bool[] Verdicts(string script, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-n", "sh", "-c", script, "sh" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        string[] lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        Assert.True(lines.Length == args.Count, $"the judge answered {lines.Length} of {args.Count}: {error.Result}");
        return [.. lines.Select(l => l == "1")];
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
            return "needs root on Linux (unshare -n, ip link add in a private network namespace)";
        try
        {
            ExternalTools.Require("ip", "iproute2");
            ExternalTools.Require("unshare", "util-linux");
            ExternalTools.Run("unshare", "-n", "ip", "link", "add", "name", "probe", "type", "bridge");
        }
        catch (InvalidOperationException e)
        {
            return "cannot make an interface in a private network namespace: " + e.Message;
        }
        return null;
    }
}
