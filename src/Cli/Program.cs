namespace Datapath.Cli;

internal static class Program
{
    public static int Main(string[] args)
    {
        // A thread the CLI did not start (a thread-pool callback, a capture thread) can still throw; the
        // runtime then ends the process, but the user is told it as on the main thread, and the code is 70.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            InternalError.Report(Console.Error, args, e.ExceptionObject as Exception ?? new InvalidOperationException(e.ExceptionObject?.ToString()), args.Contains("--debug"));
            Environment.Exit(ExitCodes.Internal);
        };
        return CommandLine.Run(args);
    }
}
