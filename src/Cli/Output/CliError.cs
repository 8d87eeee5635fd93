using Datapath.Packets;

namespace Datapath.Cli.Output;

/// <summary>
/// Reports errors the way every `datapath` command does: one line on stderr, <c>error: FILE:LINE:COL: message</c>
/// for text input, <c>error: FILE: offset N: message</c> for binary input, <c>error: message</c> for the
/// environment, never a stack trace; returns the exit code of DESIGN.md (1 bad input, 2 environment).
/// </summary>
internal static class CliError
{
    /// <summary>Bad text input at a position (1-based line and column).</summary>
    public static int BadInput(TextWriter stderr, string file, int line, int column, string message)
    {
        stderr.WriteLine($"error: {file}:{line}:{column}: {message}");
        return ExitCodes.BadInput;
    }

    /// <summary>The one located error: <c>error: LOCATION: what</c>, then <c>hint: ...</c> when it has one.</summary>
    public static int Located(TextWriter stderr, InputException error)
    {
        stderr.WriteLine($"error: {error.Location}: {error.What}");
        if (error.Hint is not null)
            stderr.WriteLine($"hint: {error.Hint}");
        return ExitCodes.BadInput;
    }

    /// <summary>Bad binary input at a byte offset.</summary>
    public static int BadInputAtOffset(TextWriter stderr, string file, long offset, string message)
    {
        stderr.WriteLine($"error: {file}: offset {offset}: {message}");
        return ExitCodes.BadInput;
    }

    /// <summary>Bad input that has no position (a missing file, a wrong argument).</summary>
    public static int BadInput(TextWriter stderr, string message)
    {
        stderr.WriteLine($"error: {message}");
        return ExitCodes.BadInput;
    }

    /// <summary>An environment problem (missing privilege, interface, library); say how to fix it in <paramref name="message"/>.</summary>
    public static int Environment(TextWriter stderr, string message)
    {
        stderr.WriteLine($"error: {message}");
        return ExitCodes.Environment;
    }

    /// <summary>
    /// Maps the exceptions that reading user files raises to a message and an exit code; returns false
    /// (and writes nothing) for any other exception, which the caller should let propagate.
    /// </summary>
    public static bool TryReport(TextWriter stderr, Exception exception, string file, out int exitCode)
    {
        switch (exception)
        {
            case InputException located:
                exitCode = Located(stderr, located);
                return true;
            case ArgumentException when file.Length == 0:
                exitCode = BadInput(stderr, "an empty string was given as a file name");
                return true;
            case FileNotFoundException or DirectoryNotFoundException:
                exitCode = BadInput(stderr, $"{file}: no such file");
                return true;
            case UnauthorizedAccessException:
                exitCode = Environment(stderr, $"{file}: permission denied (check the file's mode or run with the needed privilege)");
                return true;
            case IOException io:
                exitCode = Environment(stderr, $"{file}: {io.Message}");
                return true;
            default:
                exitCode = 0;
                return false;
        }
    }
}
