using Datapath.Cli.Output;

namespace Datapath.Cli.Html;

/// <summary>Writes walk pages for the commands, turning a path that cannot be written into their one error line.</summary>
internal static class TraceHtmlFiles
{
    /// <summary>Writes <paramref name="page"/> to <paramref name="path"/>; false (with the error said and its exit code) when it cannot.</summary>
    public static bool TryWritePage(string path, TraceHtmlPage page, TextWriter stderr, out int exitCode)
        => TryWrite(path, stderr, out exitCode, () => TraceHtmlWriter.WriteFile(path, page));

    /// <summary>Runs <paramref name="write"/>; an unwritable <paramref name="path"/> is one line, "error: --html PATH: cannot write: why", exit code 1.</summary>
    public static bool TryWrite(string path, TextWriter stderr, out int exitCode, Action write)
    {
        exitCode = ExitCodes.Ok;
        try
        {
            write();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            string why = e switch
            {
                UnauthorizedAccessException => "permission denied",
                DirectoryNotFoundException or FileNotFoundException => "no such directory",
                ArgumentException when path.Length == 0 => "an empty path",
                _ => e.Message,
            };
            exitCode = CliError.BadInput(stderr, $"--html {path}: cannot write: {why}");
            return false;
        }
    }
}
