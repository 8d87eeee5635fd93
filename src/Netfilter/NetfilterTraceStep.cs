using System.Globalization;

namespace Datapath.Netfilter;

/// <summary>
/// One step of a packet's way through the tables, as <c>xtables-monitor --trace</c> and the TRACE target
/// print it: <c>table:chain:rule:N:VERDICT</c>, <c>table:chain:return</c>, <c>table:chain:policy:VERDICT</c>.
/// </summary>
public readonly record struct NetfilterTraceStep(
    NetfilterHook Hook, string Table, string Chain, NetfilterTraceKind Kind, int RuleNumber, string Verdict)
{
    public override string ToString() => Kind switch
    {
        NetfilterTraceKind.Rule => string.Create(CultureInfo.InvariantCulture, $"{Table}:{Chain}:rule:{RuleNumber}:{Verdict}"),
        NetfilterTraceKind.Return => $"{Table}:{Chain}:return",
        NetfilterTraceKind.Policy => $"{Table}:{Chain}:policy:{Verdict}",
        _ => $"{Table}:{Chain}:binding:{Verdict}",
    };
}
