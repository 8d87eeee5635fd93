using System.Diagnostics;

namespace Datapath.Packets.Tests;

/// <summary>tshark, the independent judge of what we write. Found on PATH or in /usr/bin.</summary>
internal static class Tshark
{
    public static readonly string? Path = Find();

    public const string MissingReason = "tshark not found on PATH: install it with "
        + "'DEBIAN_FRONTEND=noninteractive apt-get install -y tshark' (the README's test command does)";

    private static string? Find()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin");
        return dirs.Select(d => System.IO.Path.Combine(d, "tshark")).FirstOrDefault(File.Exists);
    }

    /// <summary>Runs tshark with the arguments and returns its standard output; fails the test on a non-zero exit.</summary>
    public static string Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Path ?? throw new InvalidOperationException(MissingReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"tshark exited {p.ExitCode}: {stderr.Result}");
        return stdout;
    }
}

/// <summary>A fact that is skipped, saying why, when tshark is not installed.</summary>
internal sealed class TsharkFactAttribute : FactAttribute
{
    public TsharkFactAttribute()
    {
        if (Tshark.Path is null)
            Skip = Tshark.MissingReason;
    }
}
