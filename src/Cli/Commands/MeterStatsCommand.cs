using System.CommandLine;

namespace Datapath.Cli.Commands;

/// <summary>`datapath meter-stats [--scenario DIR] --node N [meter=N]`: the meters' counters as `ovs-ofctl -O OpenFlow13 meter-stats` prints them.</summary>
internal sealed class MeterStatsCommand : ICliCommand
{
    public int Order => 41;

    public Command Create() => DumpMetersCommand.Build("meter-stats", "Print a node's meter statistics as ovs-ofctl -O OpenFlow13 meter-stats does", stats: true);
}
