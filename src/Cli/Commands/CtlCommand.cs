using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using Datapath.Cli.Live;
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
        string reply;
        try
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.ReceiveTimeout = 60_000;
            s.SendTimeout = 10_000;
            s.Connect(new UnixDomainSocketEndPoint(path));
            s.Send(ControlProtocol.EncodeRequest(args));
            s.Shutdown(SocketShutdown.Send);
            using var ms = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            while ((n = s.Receive(buffer)) > 0)
                ms.Write(buffer, 0, n);
            reply = Encoding.UTF8.GetString(ms.ToArray());
        }
        catch (SocketException e)
        {
            return CliError.Environment(stderr, $"no datapath answers on {path}: {e.Message} (is `datapath run` running, and are you its user?)");
        }
        int newline = reply.IndexOf('\n', StringComparison.Ordinal);
        if (!reply.StartsWith("status ", StringComparison.Ordinal) || newline < 0
            || !int.TryParse(reply.AsSpan(7, newline - 7), System.Globalization.CultureInfo.InvariantCulture, out int code))
            return CliError.Environment(stderr, $"{path}: the daemon's answer is not understood (is this a datapath control socket?)");
        string body = reply[(newline + 1)..];
        (code == ExitCodes.Ok ? stdout : stderr).Write(body);
        return code;
    }
}
