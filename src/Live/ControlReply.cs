namespace Datapath.Live;

/// <summary>What a control command answers: the exit code `datapath ctl` returns and the text it prints.</summary>
public readonly record struct ControlReply(int ExitCode, string Output)
{
    /// <summary>The command did what was asked.</summary>
    public const int StatusOk = 0;

    /// <summary>The command or its arguments were wrong (DESIGN.md's exit code 1, bad input).</summary>
    public const int StatusBadCommand = 1;

    /// <summary>The command failed in the daemon (DESIGN.md's exit code 2, an environment problem).</summary>
    public const int StatusFailed = 2;

    internal static ControlReply Ok(string output) => new(StatusOk, output);

    internal static ControlReply Error(string message) => new(StatusBadCommand, "error: " + message + "\n");
}
