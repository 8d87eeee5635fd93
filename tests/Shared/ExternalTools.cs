using System.Diagnostics;

namespace Datapath.Tests.Shared;

/// <summary>Finds (and if missing installs with apt-get) the independent judges the tests run.</summary>
internal static class ExternalTools
{
    private static readonly Lock s_installLock = new();

    /// <summary>The path of <paramref name="tool"/>, installing Debian package <paramref name="package"/> when it is missing.</summary>
    public static string Require(string tool, string package)
    {
        lock (s_installLock)
        {
            string? path = Find(tool);
            if (path is not null)
                return path;
            var psi = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "install", "-y", "--no-install-recommends", package })
                psi.ArgumentList.Add(a);
            psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            try
            {
                using var p = Process.Start(psi)!;
                p.StandardOutput.ReadToEnd();
                p.StandardError.ReadToEnd();
                p.WaitForExit();
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
            return Find(tool) ?? throw new InvalidOperationException(
                $"{tool} is required as an independent judge; install it with: sudo apt-get install -y {package}");
        }
    }

    /// <summary>Runs a tool and returns its standard output; fails the test on a non-zero exit.</summary>
    public static string Run(string path, params string[] args)
    {
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{path} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}");
        return stdout;
    }

    private static string? Find(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/usr/sbin").Split(':'))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
