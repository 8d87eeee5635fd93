using System.Diagnostics;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>tshark, the first independent judge of the captures we write: installed with apt-get when missing.</summary>
internal static class Tshark
{
    /// <summary>The fields of every frame of <paramref name="file"/> (matching the display filter, if any), tab-separated, one line per frame.</summary>
    public static string[] Fields(string file, string? displayFilter, params string[] fields)
    {
        string tshark = ExternalTools.Require("tshark", "tshark");
        // Checksums verified, so that *.checksum.status fields say good (1) or bad (0).
        var args = new List<string> { "-r", file, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields" };
        if (displayFilter is not null)
            args.AddRange(["-Y", displayFilter]);
        foreach (string f in fields)
            args.AddRange(["-e", f]);
        var psi = new ProcessStartInfo(tshark, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"tshark -r {file} exited {p.ExitCode}: {stderr.Result}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
