using System.CommandLine;
using Datapath.Cli;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// Runs `datapath ARGS` in-process and captures stdout, stderr and the exit code. After a successful run the
/// second judge (<see cref="CaptureJudge"/>, PacketDotNet) reads every frame the command emitted: each capture
/// under --out DIR and each hex "frame" of its JSON, so every test that runs a command has its frames judged.
/// </summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        if (code == 0)
            JudgeFrames(args, stdout.ToString());
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void JudgeFrames(string[] args, string output)
    {
        string command = $"datapath {string.Join(' ', args)}";
        int outAt = Array.IndexOf(args, "--out");
        if (outAt >= 0 && outAt + 1 < args.Length && Directory.Exists(args[outAt + 1]))
            CaptureJudge.AssertCaptures(args[outAt + 1]);
        CaptureJudge.AssertJsonFrames(output, command);
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
