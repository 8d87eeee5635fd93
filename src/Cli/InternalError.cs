namespace Datapath.Cli;

/// <summary>
/// The last line of defence of the contract "never a .NET stack trace": an exception that no command
/// turned into a located error or an environment error is a bug of ours, not a fault of the input. It is
/// told in one line that names the command line (so the input that found the bug can be kept), with a hint
/// to rerun with <c>--debug</c>, which adds the stack trace; the exit code is 70 (EX_SOFTWARE).
/// </summary>
internal static class InternalError
{
    public static int Report(TextWriter stderr, IReadOnlyList<string> args, Exception exception, bool debug)
    {
        var e = exception is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : exception;
        string message = e.Message.ReplaceLineEndings(" ");
        stderr.WriteLine($"error: internal error running '{CommandText(args)}': {e.GetType().Name}: {message}");
        if (debug)
            stderr.WriteLine(exception.ToString());
        else
            stderr.WriteLine("hint: this is a bug in datapath, not in your input; rerun with --debug for the stack trace and report it with the input");
        stderr.Flush();
        return ExitCodes.Internal;
    }

    private static string CommandText(IReadOnlyList<string> args)
        => string.Join(' ', args.Prepend("datapath").Select(a => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:,@+".Contains(c)) ? a : $"'{a.Replace("'", "'\\''")}'"));
}
