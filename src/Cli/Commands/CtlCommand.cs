using System.CommandLine;
using System.Net.Sockets;
using Datapath.Live;
using Datapath.Cli.Output;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath ctl SOCKET CMD [ARGS...]`: sends one command to a running `datapath run` node's control
/// socket (ovs-ofctl / ovs-appctl style: dump-flows, add-flow, del-flows, mod-flows, dump-ports,
/// dump-conntrack, flush-conntrack, trace, stats, help) and prints the answer. Everything after
/// SOCKET is passed on verbatim. Exit code: the daemon's (0 ok, 1 bad command), 2 when no daemon answers.
/// </summary>
internal sealed class CtlCommand : ICliCommand
{
    public int Order => 71;

    public Command Create()
    {
        var socket = new Argument<string>("SOCKET") { Description = "The node's control socket (the lab file's 'control')" };
        var args = new Argument<string[]>("COMMAND") { Description = "The command and its arguments; 'help' lists them", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("ctl", "Control a running datapath node: dump-flows, add-flow, del-flows, mod-flows, dump-ports, dump-conntrack, flush-conntrack, trace, stats")
        {
            socket,
            args,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            // Everything after SOCKET, in order, including words that look like options (--strict, --json).
            var tokens = parse.Tokens.Select(t => t.Value).ToList();
            string path = parse.GetValue(socket)!;
            int at = tokens.IndexOf(path);
            var remote = at < 0 ? [.. parse.GetValue(args) ?? []] : tokens.Skip(at + 1).ToList();
            return Send(path, remote, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        });
        return command;
    }

    /// <summary>Sends <paramref name="args"/> to the daemon at <paramref name="path"/>; prints its answer; returns its exit code.</summary>
    internal static int Send(string path, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0)
            return CliError.BadInput(stderr, "no command given (try: datapath ctl SOCKET help)");
        ControlReply reply;
        try
        {
            reply = ControlClient.Send(path, args);
        }
        catch (SocketException e)
        {
            return CliError.Environment(stderr, $"no datapath answers on {path}: {e.Message} (is `datapath run` running, and are you its user?)");
        }
        catch (InvalidDataException e)
        {
            return CliError.Environment(stderr, e.Message);
        }
        (reply.ExitCode == ExitCodes.Ok ? stdout : stderr).Write(reply.Output);
        return reply.ExitCode;
    }
}
