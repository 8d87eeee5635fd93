using System.CommandLine;
using Datapath.Cli;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>Runs `datapath ARGS` in-process and captures stdout, stderr and the exit code.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The repository root (the directory holding Datapath.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Datapath.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Datapath.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
