using System.Diagnostics;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>tshark, the first independent judge of the captures we write: installed with apt-get when missing.</summary>
internal static class Tshark
{
    private const string Path = "/usr/bin/tshark";

    /// <summary>The fields of every frame of <paramref name="file"/> (matching the display filter, if any), tab-separated, one line per frame.</summary>
    public static string[] Fields(string file, string? displayFilter, params string[] fields)
    {
        if (!File.Exists(Path))
            Lab.LabEnvironment.Run("/bin/sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y tshark >/dev/null 2>&1");
        Assert.True(File.Exists(Path), "tshark, the judge, is missing and apt-get could not install it");
        var args = new List<string> { "-r", file, "-T", "fields" };
        if (displayFilter is not null)
            args.AddRange(["-Y", displayFilter]);
        foreach (string f in fields)
            args.AddRange(["-e", f]);
        var psi = new ProcessStartInfo(Path, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"tshark -r {file} exited {p.ExitCode}: {stderr.Result}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
