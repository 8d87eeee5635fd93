namespace Datapath.Cli.Live;

/// <summary>What a control command answers: the exit code `datapath ctl` returns and the text it prints.</summary>
internal readonly record struct ControlReply(int ExitCode, string Output)
{
    public static ControlReply Ok(string output) => new(ExitCodes.Ok, output);

    public static ControlReply Error(string message) => new(ExitCodes.BadInput, "error: " + message + "\n");
}
