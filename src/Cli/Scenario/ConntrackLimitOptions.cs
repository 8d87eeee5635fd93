using System.CommandLine;
using System.Globalization;
using Datapath.Conntrack;

namespace Datapath.Cli.Scenario;

/// <summary>
/// <c>--ct-limit N</c> and <c>--ct-zone-limit ZONE=N</c> (repeatable) for <c>replay</c> and <c>run</c>: every
/// connection table of every node (the bridge's zones and the host's) gets them (<see cref="ConntrackLimits"/>).
/// </summary>
internal sealed class ConntrackLimitOptions
{
    public Option<int?> Table { get; } = NumberOption.CreateOptional("--ct-limit",
        "Connections each node's connection tables may hold (Linux's nf_conntrack_max; default 3000000); a new connection beyond it is dropped as ct-limit",
        min: 1, max: int.MaxValue, what: "a positive number of connections");

    public Option<string[]> Zones { get; } = new("--ct-zone-limit")
    {
        Description = "ZONE=N: connections a conntrack zone may hold, as ovs-appctl dpctl/ct-set-limits zone=ZONE,limit=N (repeatable; 0 = no limit)",
        AllowMultipleArgumentsPerToken = false,
    };

    public ConntrackLimitOptions()
    {
        Zones.Validators.Add(r =>
        {
            foreach (string z in r.GetValueOrDefault<string[]>() ?? [])
            {
                if (!TryParseZone(z, out _, out _))
                    r.AddError($"--ct-zone-limit: '{z}' is not ZONE=N (a zone 0-65535 and a limit >= 0, e.g. 65520=1000)");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Table);
        command.Options.Add(Zones);
    }

    public ConntrackLimits Get(ParseResult parse)
    {
        var zones = new Dictionary<ushort, int>();
        foreach (string z in parse.GetValue(Zones) ?? [])
        {
            if (TryParseZone(z, out ushort zone, out int limit))
                zones[zone] = limit;
        }
        return new ConntrackLimits(parse.GetValue(Table), zones);
    }

    private static bool TryParseZone(string text, out ushort zone, out int limit)
    {
        limit = 0;
        zone = 0;
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        return eq > 0
            && ushort.TryParse(text.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out zone)
            && int.TryParse(text.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out limit);
    }
}
