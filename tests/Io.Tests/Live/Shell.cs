using System.Diagnostics;

namespace Datapath.Io.Tests.Live;

/// <summary>Runs a command (no shell) and returns its exit code and output.</summary>
internal static class Shell
{
    public static (int Exit, string Out, string Err) Run(string file, params string[] args)
    {
        ProcessStartInfo psi = new(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            return (-1, stdout.Result, "timed out: " + stderr.Result);
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and throws with the command line and stderr when it fails.</summary>
    public static string Check(string file, params string[] args)
    {
        (int exit, string o, string e) = Run(file, args);
        if (exit != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {exit}: {e}{o}");
        }

        return o;
    }

    public static bool HasCommand(string name) =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, name)));
}
