using System.CommandLine;
using Datapath.Cli.Scenario;
using Datapath.Netfilter;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath iptables [--scenario DIR] --node N [-t TABLE] -L [CHAIN] [-n] [-v] [-x] [--line-numbers]` (and `-S [CHAIN]`):
/// a node's host rules as the kernel's iptables 1.8.9 lists them after iptables-restore of the node's file
/// (counters as the file gives them: zero for the seed). After a replay see `replay --dump-iptables`; on a
/// running node `datapath ctl SOCKET iptables ...`. Errors are iptables' words, exit code 1.
/// </summary>
internal sealed class IptablesCommand : ICliCommand
{
    public int Order => 42;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var words = new Argument<string[]>("ARGS") { Description = "iptables' words: [-t TABLE] -L [CHAIN] [-n] [-v] [-x] [--line-numbers], or -S [CHAIN] [-v]", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("iptables", "List a node's host iptables rules as iptables -L / -S prints them") { words };
        args.AddTo(command);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse => HostRules.Run(parse, args, IptablesCommandLine.Run));
        return command;
    }
}
