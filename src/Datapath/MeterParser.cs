using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// Parses <c>ovs-ofctl add-meter</c> / <c>mod-meter</c> text (ovs-ofctl(8) "Meter Syntax"):
/// <c>meter=N,kbps|pktps[,burst][,stats],bands=type=drop,rate=R[,burst_size=B][,type=drop,...]</c>, separated by
/// commas or spaces, with ovs-ofctl's checks (one of kbps and pktps, bands given, every band a rate, burst_size
/// exactly when the burst flag is set) and the userspace datapath's (drop bands only: OFPMMFC_BAD_BAND).
/// </summary>
public static class MeterParser
{
    /// <summary>The largest meter id OVS 3.1's userspace datapath has (meter-features' max_meter).</summary>
    public const uint MaxMeterId = 262144;

    /// <summary>Parses one meter; errors throw an <see cref="InputException"/> naming file, line and column.</summary>
    public static Meter Parse(string text, string file = "<input>", int line = 1, long createdMs = Classifier.FlowRule.Never)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return ParseCore(text, createdMs);
        }
        catch (InputException e) when (e.File == ActionParser.Fragment)
        {
            throw e.Within(file, line, 1);
        }
    }

    /// <summary>
    /// The meter a <c>del-meters</c> / <c>dump-meters</c> / <c>meter-stats</c> argument names: <c>meter=N</c>, or
    /// null for every meter (no argument, <c>meter=all</c>).
    /// </summary>
    public static uint? ParseSelector(string? text, string file = "<input>")
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        string t = text.Trim();
        if (!t.StartsWith("meter=", StringComparison.Ordinal))
            throw new InputException(file, 1, 1, $"'{t}': expected meter=N or meter=all");
        string v = t[6..];
        if (v == "all")
            return null;
        try
        {
            return ParseId(v, 6);
        }
        catch (InputException e) when (e.File == ActionParser.Fragment)
        {
            throw e.Within(file, 1, 1);
        }
    }

    private static uint ParseId(string v, int at)
    {
        uint id = ActionParser.ParseUInt32(v, at, "meter");
        return id is 0 or > 0xffff0000 ? throw ActionParser.Error($"meter={v}: invalid value for meter (1..{0xffff0000})", at) : id;
    }

    private static Meter ParseCore(string text, long createdMs)
    {
        // ovs-ofctl separates by commas or spaces; keep each token's offset.
        var tokens = new List<(string Text, int At)>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
                i++;
            int start = i;
            while (i < text.Length && text[i] != ',' && !char.IsWhiteSpace(text[i]))
                i++;
            if (i > start)
                tokens.Add((text[start..i], start));
        }
        uint? id = null;
        var flags = MeterFlags.None;
        var bands = new List<(uint Rate, uint Burst, int At)>();
        bool inBands = false;
        int bandsAt = 0;
        foreach (var (tok, at) in tokens)
        {
            int eq = tok.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? tok : tok[..eq];
            string val = eq < 0 ? "" : tok[(eq + 1)..];
            if (!inBands)
            {
                switch (key)
                {
                    case "meter":
                        id = ParseId(val, at + eq + 1);
                        break;
                    case "kbps":
                        flags |= MeterFlags.Kbps;
                        break;
                    case "pktps":
                        flags |= MeterFlags.Pktps;
                        break;
                    case "burst":
                        flags |= MeterFlags.Burst;
                        break;
                    case "stats":
                        flags |= MeterFlags.Stats;
                        break;
                    case "bands":
                        inBands = true;
                        bandsAt = at;
                        if (val.Length > 0)
                            AddBandArg(bands, "type", val.StartsWith("type=", StringComparison.Ordinal) ? val[5..] : val, at + 6, val.StartsWith("type=", StringComparison.Ordinal));
                        break;
                    default:
                        throw ActionParser.Error($"unknown keyword '{key}'", at, "a meter is meter=N,kbps|pktps[,burst][,stats],bands=type=drop,rate=R[,burst_size=B]");
                }
                continue;
            }
            AddBandArg(bands, key, val, at + (eq < 0 ? 0 : eq + 1), true);
        }
        if (id is null)
            throw ActionParser.Error("must specify meter=N", 0);
        if ((flags & (MeterFlags.Kbps | MeterFlags.Pktps)) == 0)
            throw ActionParser.Error("meter must specify either 'kbps' or 'pktps'", 0);
        if ((flags & (MeterFlags.Kbps | MeterFlags.Pktps)) == (MeterFlags.Kbps | MeterFlags.Pktps))
            throw ActionParser.Error("meter may not be both 'kbps' and 'pktps' (OFPMMFC_BAD_FLAGS)", 0);
        if (!inBands || bands.Count == 0)
            throw ActionParser.Error("must specify bands", inBands ? bandsAt : text.Length);
        if (bands.Count > 8)
            throw ActionParser.Error($"{bands.Count} bands: the datapath has at most 8 (meter-features' max_bands)", bandsAt);
        var result = new List<MeterBand>();
        foreach (var (rate, burst, at) in bands)
        {
            if (rate == 0)
                throw ActionParser.Error("band must have 'rate'", at);
            if (burst != 0 && (flags & MeterFlags.Burst) == 0)
                throw ActionParser.Error("band may have 'burst_size' only when 'burst' flag is set", at);
            if (burst == 0 && (flags & MeterFlags.Burst) != 0)
                throw ActionParser.Error("band must have 'burst_size' when 'burst' flag is set", at);
            result.Add(new MeterBand(rate, burst));
        }
        return new Meter(id.Value, flags, result) { CreatedMs = createdMs };
    }

    private static void AddBandArg(List<(uint Rate, uint Burst, int At)> bands, string key, string val, int at, bool typed)
    {
        switch (key)
        {
            case "type" when typed:
                if (val != "drop")
                    throw ActionParser.Error(val == "dscp_remark"
                        ? "band type dscp_remark is not supported by the userspace datapath (OFPMMFC_BAD_BAND); use type=drop"
                        : $"unknown band type '{val}' (drop)", at);
                bands.Add((0, 0, at));
                break;
            case "rate" or "burst_size" or "prec_level":
                if (bands.Count == 0)
                    throw ActionParser.Error("band must start with type=", at);
                if (key == "prec_level")
                    throw ActionParser.Error("prec_level is for dscp_remark bands, which the userspace datapath does not run (OFPMMFC_BAD_BAND)", at);
                uint v = ActionParser.ParseUInt32(val, at, key);
                var b = bands[^1];
                bands[^1] = key == "rate" ? (v, b.Burst, b.At) : (b.Rate, v, b.At);
                break;
            default:
                throw ActionParser.Error($"unknown band keyword '{key}' (type, rate, burst_size)", at);
        }
    }
}
