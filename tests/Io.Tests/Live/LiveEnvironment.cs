namespace Datapath.Io.Tests.Live;

/// <summary>
/// Decides once whether this machine can run the live tests: root, /dev/net/tun, iproute2 with
/// working network namespaces, and ping (installed from Debian's iputils-ping when missing).
/// </summary>
internal static class LiveEnvironment
{
    private static readonly Lazy<string?> s_reason = new(Probe);
    private static readonly Lazy<string?> s_pcapReason = new(ProbePcap);

    /// <summary>Null when live tests can run, else why not.</summary>
    public static string? SkipReason => s_reason.Value;

    /// <summary>Null when libpcap is there too (installed from libpcap0.8 when missing).</summary>
    public static string? PcapSkipReason => SkipReason ?? s_pcapReason.Value;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "live I/O tests need Linux";
        }

        if (Environment.UserName != "root" && Shell.Run("id", "-u").Out.Trim() != "0")
        {
            return "live I/O tests need root (TAP devices, veth pairs, network namespaces)";
        }

        if (!File.Exists("/dev/net/tun"))
        {
            return "live I/O tests need /dev/net/tun (modprobe tun)";
        }

        Install("ip", "iproute2");
        Install("ping", "iputils-ping");
        if (!Shell.HasCommand("ip"))
        {
            return "live I/O tests need iproute2's `ip` (apt-get install iproute2 failed)";
        }

        if (!Shell.HasCommand("ping"))
        {
            return "live I/O tests need ping (apt-get install iputils-ping failed)";
        }

        string probe = "dpt-probe-" + Environment.ProcessId;
        (int exit, _, string err) = Shell.Run("ip", "netns", "add", probe);
        if (exit != 0)
        {
            return "`ip netns add` does not work here: " + err.Trim();
        }

        Shell.Run("ip", "netns", "del", probe);
        return null;
    }

    private static string? ProbePcap()
    {
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8") && !File.Exists("/usr/lib/aarch64-linux-gnu/libpcap.so.0.8"))
        {
            AptInstall("libpcap0.8");
        }

        try
        {
            _ = Datapath.Io.Live.PcapPort.LibraryVersion;
            return null;
        }
        catch (Datapath.Io.Live.LiveIoException ex)
        {
            return ex.Message;
        }
    }

    private static void Install(string command, string package)
    {
        if (!Shell.HasCommand(command))
        {
            AptInstall(package);
        }
    }

    private static void AptInstall(string package)
    {
        if (!Shell.HasCommand("apt-get"))
        {
            return;
        }

        if (Shell.Run("apt-get", "install", "-y", "-qq", package).Exit != 0)
        {
            Shell.Run("apt-get", "update", "-qq");
            Shell.Run("apt-get", "install", "-y", "-qq", package);
        }
    }
}

/// <summary>A fact that needs root, /dev/net/tun and network namespaces; skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LiveFactAttribute : FactAttribute
{
    /// <summary>Also needs libpcap.</summary>
    public bool NeedsPcap { get; set; }

    public override string Skip
    {
        get => base.Skip ?? (NeedsPcap ? LiveEnvironment.PcapSkipReason : LiveEnvironment.SkipReason)!;
        set => base.Skip = value;
    }
}

/// <summary>A theory with the same needs as <see cref="LiveFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LiveTheoryAttribute : TheoryAttribute
{
    public override string Skip
    {
        get => base.Skip ?? LiveEnvironment.SkipReason!;
        set => base.Skip = value;
    }
}
