using System.CommandLine;
using System.Globalization;
using Datapath.Cli.Output;
using Datapath.Engine.Tracing;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath trace`'s ofproto/trace options: `--format default|ovs|xtables` (ovs: what `ovs-appctl ofproto/trace` of OVS 3.1
/// prints; xtables: the netfilter part as `xtables-monitor --trace` prints it; docs/trace.md), `--ct-next STATE` (repeatable: the ct_state each recirculation resumes with, as
/// ofproto/trace's own option) and `--first-recirc-id N` (number recirculations as a daemon that used N-1 ids before).
/// </summary>
internal sealed class TraceFormatOptions
{
    public Option<string> Format { get; } = new("--format")
    {
        Description = "default: our trace (names, effects, conntrack, verdict, frames); ovs: exactly what ovs-appctl ofproto/trace of Open vSwitch 3.1 prints (numbers, set_field, Final flow, datapath actions with datapath port numbers); xtables: the netfilter part as xtables-monitor --trace prints it (the packet traced from its first hook; --xtables-kernel picks the kernel)",
        DefaultValueFactory = _ => "default",
    };

    public Option<string[]> CtNext { get; } = new("--ct-next")
    {
        HelpName = "STATE",
        Description = "The ct_state the next recirculation after ct(table=N) resumes with, e.g. 'trk,est' (repeatable, one per recirculation in order; then conntrack's own state), as ofproto/trace --ct-next",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> FirstRecircId { get; } = new("--first-recirc-id")
    {
        HelpName = "N",
        Description = "Print recirc_ids from N (decimal or 0x hex) instead of 1: OVS counts them over the daemon's life, so a trace after others starts higher",
    };

    public TraceFormatOptions() => Format.AcceptOnlyFromAmong("default", "ovs", "xtables");

    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(CtNext);
        command.Options.Add(FirstRecircId);
    }

    public bool Ovs(ParseResult parse) => parse.GetValue(Format) == "ovs";

    public bool Xtables(ParseResult parse) => parse.GetValue(Format) == "xtables";

    /// <summary>The --ct-next states and the first recirc_id, or false after a clear error on stderr.</summary>
    public bool TryRead(ParseResult parse, bool json, TextWriter stderr, out List<uint> ctNext, out uint firstRecircId, out int exitCode)
    {
        ctNext = [];
        firstRecircId = 1;
        exitCode = ExitCodes.Ok;
        foreach (string text in parse.GetValue(CtNext) ?? [])
        {
            if (OvsCtState.Parse(text, out string? error) is not { } state)
            {
                exitCode = CliError.BadInput(stderr, $"--ct-next '{text}': {error}");
                return false;
            }
            ctNext.Add(state);
        }
        if (parse.GetValue(FirstRecircId) is { } first)
        {
            bool hex = first.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            if (!uint.TryParse(hex ? first[2..] : first, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out firstRecircId)
                || firstRecircId is 0 or > 0x7fffffff)
            {
                exitCode = CliError.BadInput(stderr, $"--first-recirc-id '{first}': a recirc_id from 1 to 0x7fffffff (decimal or 0x hex)");
                return false;
            }
        }
        if (json && (Ovs(parse) || Xtables(parse)))
        {
            exitCode = CliError.BadInput(stderr, $"--json and --format {parse.GetValue(Format)}: give one of them");
            return false;
        }
        return true;
    }
}
