using System.Diagnostics;

namespace Datapath.Engine.Tests.Actions;

/// <summary>
/// ovs-ofctl (Open vSwitch 3.1, Debian's openvswitch-common), the judge of which flow text is valid:
/// <c>ovs-ofctl parse-flow FLOW</c> parses and encodes a flow exactly as <c>add-flow</c> does, without a
/// switch. It accepts when it exits 0 and its own decoder reads back what it encoded (an action it
/// encodes but cannot decode, such as <c>ct(exec(...))</c> without commit, is one a switch refuses).
/// </summary>
internal static class OvsOfctl
{
    public static readonly string? Path = Find();

    public const string MissingReason = "ovs-ofctl not found on PATH: install it with "
        + "'DEBIAN_FRONTEND=noninteractive apt-get install -y openvswitch-common' (the README's test command does)";

    // Every OpenFlow version allowed, so that ovs-ofctl picks one that can express the flow as add-flow
    // to an OVS 3.1 bridge would (-O OpenFlow15 alone refuses dec_ttl with "no usable protocol").
    private const string Versions = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15";

    private static string? Find()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin");
        return dirs.Select(d => System.IO.Path.Combine(d, "ovs-ofctl")).FirstOrDefault(File.Exists);
    }

    /// <summary>ovs-ofctl's verdict on one flow line, and what it printed (the flow as it would install it, or why not).</summary>
    public static (bool Accepted, string Output) ParseFlow(string flow, string versions = Versions)
    {
        var psi = new ProcessStartInfo(Path ?? throw new InvalidOperationException(MissingReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-O", versions, "parse-flow", flow })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string output = (stdout + stderr.Result).Trim();
        return (p.ExitCode == 0 && !output.Contains("decode error", StringComparison.Ordinal), output);
    }

    /// <summary>True when ovs-ofctl accepted the flow only after dropping match fields whose prerequisites are missing.</summary>
    public static bool Normalized(string output) => output.Contains("normalization changed ofp_match", StringComparison.Ordinal);
}
