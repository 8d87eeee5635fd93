using System.CommandLine;
using System.CommandLine.Help;
using Datapath.Cli.Output;
using Datapath.Packets;

namespace Datapath.Cli;

/// <summary>
/// The `datapath` command tree (DESIGN.md's command-line contract) and the one place every run passes
/// through: command-line mistakes are told by <see cref="CommandLineMistakes"/> (exit 1), a located error
/// that a command let escape is printed as every command prints it (exit 1), and anything else is an
/// <see cref="InternalError"/> (exit 70; the stack trace only with <c>--debug</c>).
/// </summary>
internal static class CommandLine
{
    /// <summary>On an internal error, print the .NET stack trace (every command takes it; one per tree, as an option belongs to its parents).</summary>
    public static Option<bool> DebugOption() => new("--debug")
    {
        Description = "On an internal error, print the .NET stack trace",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Datapath: a userspace packet datapath running Antrea's OVS pipeline and kube-proxy's iptables on real frames");
        var commands = typeof(CommandLine).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Order);
        foreach (var c in commands)
            root.Subcommands.Add(c.Create());
        root.Options.Add(DebugOption());
        return root;
    }

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs <paramref name="args"/> against <paramref name="root"/> (the `datapath` tree when null).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, RootCommand? root = null)
    {
        bool debug = args.Contains("--debug");
        try
        {
            ParseResult parse = (root ?? Build()).Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
                return CommandLineMistakes.Report(parse, stderr);
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (InputException located)
        {
            stdout.Flush();
            return CliError.Located(stderr, located);
        }
        catch (Exception e)
        {
            stdout.Flush();
            return InternalError.Report(stderr, args, e, debug);
        }
    }
}
