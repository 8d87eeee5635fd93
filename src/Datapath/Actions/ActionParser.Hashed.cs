using System.Globalization;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

// sample, enqueue, bundle, bundle_load and multipath, parsed as ovs-ofctl 3.1 parses them (ofp-actions.c parse_SAMPLE,
// parse_ENQUEUE; lib/bundle.c bundle_parse__; lib/multipath.c multipath_parse__), with the checks the switch makes
// when it installs them (check_ENQUEUE, bundle_check, the decoders' limits), worded as OVS words them.
public static partial class ActionParser
{
    private static SampleAction ParseSample(string arg, int offset, IPortMap? ports)
    {
        ushort probability = 0;
        uint collector = 0, domain = 0, point = 0;
        uint? port = null;
        var direction = SampleDirection.Default;
        foreach (var (s, len) in SplitTopLevel(arg, 0, arg.Length))
        {
            string part = arg.Substring(s, len);
            int eq = part.IndexOfAny(['=', ':']);
            string key = eq < 0 ? part : part[..eq], value = eq < 0 ? "" : part[(eq + 1)..];
            int at = offset + s + (eq < 0 ? 0 : eq + 1);
            switch (key)
            {
                case "probability":
                    if (!ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out probability))
                        throw Error($"invalid probability \"{value}\"", at);
                    if (probability == 0)
                        throw Error($"invalid probability value \"{value}\"", at);
                    break;
                case "collector_set_id":
                    collector = SampleId(value, at);
                    break;
                case "obs_domain_id":
                    domain = SampleId(value, at);
                    break;
                case "obs_point_id":
                    point = SampleId(value, at);
                    break;
                case "sampling_port":
                    port = TryParsePort(value, ports, out uint p) ? p : throw Error($"{value}: unknown port", at);
                    break;
                case "ingress":
                    direction = SampleDirection.Ingress;
                    break;
                case "egress":
                    direction = SampleDirection.Egress;
                    break;
                default:
                    throw Error($"invalid key \"{key}\" in \"sample\" argument", offset + s);
            }
        }
        if (probability == 0)
            throw Error("non-zero \"probability\" must be specified on sample", offset);
        return new SampleAction(probability, collector, domain, point, port, direction);
    }

    private static uint SampleId(string value, int at)
        => uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) ? v : throw Error($"invalid numeric format {value}", at);

    // parse_ENQUEUE: the port up to the first ':', 'q' or ',', the queue after it; check_ENQUEUE: a port below
    // OFPP_MAX, IN_PORT or LOCAL.
    private static EnqueueAction ParseEnqueue(string arg, int offset, IPortMap? ports)
    {
        int cut = arg.IndexOfAny([':', 'q', ',']);
        if (cut <= 0 || cut == arg.Length - 1)
            throw Error("\"enqueue\" syntax is \"enqueue:PORT:QUEUE\" or \"enqueue(PORT,QUEUE)\"", offset);
        string portText = arg[..cut];
        if (!TryParsePort(portText, ports, out uint port))
            throw Error($"{portText}: enqueue to unknown port", offset);
        if (port >= OpenFlowPorts.Max && port is not (OpenFlowPorts.InPort or OpenFlowPorts.Local))
            throw Error("actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)", offset, "enqueue sends to a port below 65280, IN_PORT or LOCAL");
        string queueText = arg[(cut + 1)..];
        uint queue = uint.TryParse(queueText, NumberStyles.None, CultureInfo.InvariantCulture, out uint q) ? q : throw Error($"invalid numeric format {queueText}", offset + cut + 1);
        return new EnqueueAction(port, queue);
    }

    // bundle_parse / bundle_parse_load: strtok over ", " for fields, basis, algorithm, member type (and the
    // destination), then "members:" and the ports; bundle_check and the NXAST_BUNDLE decoder's limits.
    private static BundleAction ParseBundle(string arg, int offset, bool load, IPortMap? ports)
    {
        var tokens = Tokens(arg, ", ");
        int fixedCount = load ? 5 : 4;
        string Where() => arg;
        if (tokens.Count <= fixedCount)
            throw Error($"{Where()}: not enough arguments to bundle action", offset);
        var (delimStart, _) = tokens[fixedCount];
        // The member delimiter ends at ':' or ' ' (strtok_r(NULL, ": ")); the members follow.
        int delimEnd = arg.IndexOfAny([':', ' '], delimStart);
        if (delimEnd < 0)
            delimEnd = arg.Length;
        string delim = arg[delimStart..delimEnd];
        if (!delim.Equals("members", StringComparison.OrdinalIgnoreCase) && !delim.Equals("slaves", StringComparison.OrdinalIgnoreCase))
            throw Error($"{arg}: missing member delimiter, expected `members', got `{delim}'", offset + delimStart);
        var members = new List<uint>();
        // strtok_r consumed the one character that ended the delimiter: the members start after it.
        foreach (var (ms, ml) in Tokens(arg, ", []", Math.Min(delimEnd + 1, arg.Length)))
        {
            // BUNDLE_MAX_MEMBERS: bundle_parse__ stops reading members at 2048.
            if (members.Count == 2048)
                break;
            string m = arg.Substring(ms, ml);
            if (!TryParsePort(m, ports, out uint port))
                throw Error($"{m}: bad port number", offset + ms);
            if (port == OpenFlowPorts.Controller)
                throw Error("actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)", offset + ms, "bundle does not support a CONTROLLER member");
            if (port != OpenFlowPorts.None && !OpenFlowPorts.IsOutputPort(port))
                throw Error("actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)", offset + ms, $"invalid member {m}: a member is below 65280 or one of IN_PORT, TABLE, NORMAL, FLOOD, ALL, LOCAL, NONE");
            members.Add(port);
        }
        string Tok(int i) => arg.Substring(tokens[i].Start, tokens[i].Length);
        if (!FlowHashFields.TryParse(Tok(0), out var fields))
            throw Error($"{arg}: unknown fields `{Tok(0)}'", offset + tokens[0].Start);
        string algorithm = Tok(2);
        BundleAlgorithm alg = algorithm.Equals("active_backup", StringComparison.OrdinalIgnoreCase) ? BundleAlgorithm.ActiveBackup
            : algorithm.Equals("hrw", StringComparison.OrdinalIgnoreCase) ? BundleAlgorithm.Hrw
            : throw Error($"{arg}: unknown algorithm `{algorithm}'", offset + tokens[2].Start);
        if (!Tok(3).Equals("ofport", StringComparison.OrdinalIgnoreCase))
            throw Error($"{arg}: unknown member_type `{Tok(3)}'", offset + tokens[3].Start);
        FieldRef? dst = null;
        if (load)
        {
            var d = ParseWritable(Tok(4), offset + tokens[4].Start);
            if (d.Count < 16)
                throw Error("bundle_load action requires at least 16 bit destination (OFPBAC_BAD_ARGUMENT)", offset + tokens[4].Start, "a port number is 16 bits: use a whole register or a 16-bit range");
            dst = d;
        }
        return new BundleAction(fields, (ushort)Atoi(Tok(1)), alg, [.. members], dst);
    }

    private static MultipathAction ParseMultipath(string arg, int offset)
    {
        var tokens = Tokens(arg, ", ");
        if (tokens.Count < 6)
            throw Error($"{arg}: not enough arguments to multipath action", offset);
        string Tok(int i) => arg.Substring(tokens[i].Start, tokens[i].Length);
        if (!FlowHashFields.TryParse(Tok(0), out var fields))
            throw Error($"{arg}: unknown fields `{Tok(0)}'", offset + tokens[0].Start);
        string a = Tok(2);
        MultipathAlgorithm alg = a.ToLowerInvariant() switch
        {
            "modulo_n" => MultipathAlgorithm.ModuloN,
            "hash_threshold" => MultipathAlgorithm.HashThreshold,
            "hrw" => MultipathAlgorithm.Hrw,
            "iter_hash" => MultipathAlgorithm.IterHash,
            _ => throw Error($"{arg}: unknown algorithm `{a}'", offset + tokens[2].Start),
        };
        int links = Atoi(Tok(3));
        if (links is < 1 or > 65536)
            throw Error($"{arg}: n_links {links} is not in valid range 1 to 65536", offset + tokens[3].Start);
        var dst = ParseWritable(Tok(5), offset + tokens[5].Start);
        if (dst.Count < 16 && links > 1 << dst.Count)
            throw Error($"{arg}: {dst.Count}-bit destination field has {1u << dst.Count} possible values, less than specified n_links {links}", offset + tokens[5].Start);
        return new MultipathAction(fields, (ushort)Atoi(Tok(1)), alg, links, (uint)Atoi(Tok(4)), dst);
    }

    // strtok_r's tokens of text[from..] over the delimiter characters (empty tokens skipped).
    private static List<(int Start, int Length)> Tokens(string text, string delimiters, int from = 0)
    {
        var list = new List<(int, int)>();
        int i = from;
        while (i < text.Length)
        {
            while (i < text.Length && delimiters.Contains(text[i], StringComparison.Ordinal))
                i++;
            int s = i;
            while (i < text.Length && !delimiters.Contains(text[i], StringComparison.Ordinal))
                i++;
            if (i > s)
                list.Add((s, i - s));
        }
        return list;
    }

    // C's atoi, as bundle and multipath read their numbers: leading spaces, a sign, the digits that follow; 0 if none.
    private static int Atoi(string text)
    {
        int i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;
        bool negative = i < text.Length && text[i] == '-';
        if (i < text.Length && text[i] is '-' or '+')
            i++;
        long v = 0;
        for (; i < text.Length && char.IsAsciiDigit(text[i]) && v <= uint.MaxValue; i++)
            v = v * 10 + (text[i] - '0');
        return unchecked((int)(negative ? -v : v));
    }
}
