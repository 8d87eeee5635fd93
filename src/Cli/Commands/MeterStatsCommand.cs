namespace Datapath.Cli.Commands;

/// <summary>`datapath meter-stats [--scenario DIR] --node N [meter=N]`: the meters' counters as `ovs-ofctl -O OpenFlow13 meter-stats` prints them.</summary>
internal sealed class MeterStatsCommand : DumpMetersCommand
{
    public override int Order => 48;
    protected override string Name => "meter-stats";
    protected override string Description => "Print a node's meter statistics as ovs-ofctl -O OpenFlow13 meter-stats does";
    protected override bool Stats => true;
}
