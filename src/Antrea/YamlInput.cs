using System.Globalization;
using Datapath.Classifier;
using Datapath.Packets;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea;

/// <summary>
/// One YAML file read as user input (a scenario's cluster.yaml, a lab file): parsed with YamlDotNet's
/// representation model, so that every key and value keeps its <see cref="Mark"/>, and read through
/// checks that turn every fault into an <see cref="InputException"/> at the line and column of the key
/// or value that is wrong.
///
/// <para>Rules. A file that is empty (or only white space) or only comments is a whole-file error; a
/// YAML syntax error (a duplicate key, an unclosed <c>{</c>, a bad indent) is YamlDotNet's own message at
/// its mark, and the odd fault its scanner throws as InvalidOperationException is an error where the
/// scanner stopped; nesting deeper than <see cref="MaxDepth"/> is refused before the tree is built (the tree is
/// built by recursion, and no input may exhaust the stack). Every mapping is checked against the keys its
/// reader knows: an unknown key is an error, with a did-you-mean hint when a known key is one or two edits
/// away (<c>podCIRD</c>: did you mean <c>podCIDR</c>?), because a typo must never silently drop a
/// setting. A required key that is missing is an error at the mapping that lacks it; a key given with
/// no value (<c>nodeIP:</c>) is an error at the key, never a default.</para>
///
/// <para>Values. Integers are decimal or <c>0x</c> hexadecimal, checked against their range (a value
/// too large for any integer is "out of range", not a parse failure); booleans are YAML 1.2's
/// <c>true</c>/<c>false</c>; IPv4 addresses are four decimal octets; MAC addresses are six hex pairs.</para>
/// </summary>
public sealed class YamlInput
{
    /// <summary>Nesting (mappings and sequences inside each other) deeper than this is refused.</summary>
    public const int MaxDepth = 64;

    private YamlInput(string file, YamlNode root)
    {
        File = file;
        Root = root;
    }

    /// <summary>The file as errors name it.</summary>
    public string File { get; }

    /// <summary>The document's top node.</summary>
    public YamlNode Root { get; }

    /// <summary>Parses <paramref name="text"/>, the content of <paramref name="file"/>: one YAML document.</summary>
    /// <exception cref="InputException">The text is empty, not YAML, nested too deep, or more than one document.</exception>
    public static YamlInput Parse(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
            throw InputException.InFile(file, "is empty");
        var stream = Load(text, file);
        if (stream.Documents.Count == 0)
            throw InputException.InFile(file, "has no YAML document (only comments)");
        var input = new YamlInput(file, stream.Documents[0].RootNode);
        if (stream.Documents.Count > 1)
            throw input.At(stream.Documents[1].RootNode, "a second YAML document: the file holds one");
        return input;
    }

    /// <summary>
    /// Parses a multi-document file (Kubernetes manifests, documents separated by <c>---</c>): one input per
    /// document that is not empty.
    /// </summary>
    /// <exception cref="InputException">The text is not YAML or is nested too deep.</exception>
    public static IReadOnlyList<YamlInput> ParseDocuments(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. Load(text, file).Documents.Where(d => d.RootNode is not YamlScalarNode { Value: null or "" }).Select(d => new YamlInput(file, d.RootNode))];
    }

    private static YamlStream Load(string text, string file)
    {
        CheckDepth(text, file);
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw Syntax(e, file);
        }
        catch (InvalidOperationException e)
        {
            throw ScannerFault(e, scanner, file);
        }
        return stream;
    }

    // ---- locating

    /// <summary>An error at <paramref name="node"/>'s first character.</summary>
    public InputException At(YamlNode node, string what, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new InputException(File, Position(node.Start.Line), Position(node.Start.Column), what, hint);
    }

    // ---- shapes

    /// <summary>The node as a mapping (<c>key: value</c> lines or <c>{ key: value }</c>).</summary>
    public YamlMappingNode Mapping(YamlNode node, string what)
        => node as YamlMappingNode ?? throw At(node, $"{what}: expected a mapping (key: value), got {Kind(node)}");

    /// <summary>The node as a sequence (<c>- item</c> lines or <c>[a, b]</c>).</summary>
    public YamlSequenceNode Sequence(YamlNode node, string what)
        => node as YamlSequenceNode ?? throw At(node, $"{what}: expected a list (- item), got {Kind(node)}");

    /// <summary>The node as a non-empty scalar.</summary>
    public string Text(YamlNode node, string what)
        => node is YamlScalarNode { Value: { Length: > 0 } v } ? v
            : node is YamlScalarNode ? throw At(node, $"{what}: empty value")
            : throw At(node, $"{what}: expected a value, got {Kind(node)}");

    // ---- keys

    /// <summary>
    /// Refuses a key of <paramref name="map"/> that is not one of <paramref name="known"/>, with a
    /// did-you-mean hint when one is close, else the list of known keys.
    /// </summary>
    public void CheckKeys(YamlMappingNode map, string what, IReadOnlyList<string> known)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(known);
        foreach (var key in map.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { Length: > 0 } k })
                throw At(key, $"{what}: a key is a plain name, got {Kind(key)}");
            if (known.Contains(k, StringComparer.Ordinal))
                continue;
            string? near = DidYouMean.Closest(k, known);
            throw At(key, $"{what}: unknown key '{k}'", near is null ? $"the keys here are {string.Join(", ", known)}" : $"did you mean '{near}'?");
        }
    }

    /// <summary>The value of <paramref name="key"/>, or null when the key is absent.</summary>
    public static YamlNode? Get(YamlMappingNode map, string key)
    {
        ArgumentNullException.ThrowIfNull(map);
        return map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    }

    /// <summary>The value of a required key: absent is an error at the mapping.</summary>
    public YamlNode Required(YamlMappingNode map, string key, string what)
        => Get(map, key) ?? throw At(map, $"{what}: '{key}' is required");

    /// <summary>The non-empty scalar of <paramref name="key"/>, or null when absent; an empty value is an error at the key.</summary>
    public string? OptionalText(YamlMappingNode map, string key, string what)
    {
        if (Get(map, key) is not { } v)
            return null;
        if (v is YamlScalarNode { Value: null or "" })
            throw At(Key(map, key), $"{what}: {key}: empty value");
        return Text(v, $"{what}: {key}");
    }

    /// <summary>The non-empty scalar of a required key.</summary>
    public string RequiredText(YamlMappingNode map, string key, string what)
        => OptionalText(map, key, what) ?? throw At(map, $"{what}: '{key}' is required");

    /// <summary>The value of <paramref name="key"/> checked by <paramref name="isValid"/> (which says what is wrong, or null), or null when absent.</summary>
    public string? OptionalChecked(YamlMappingNode map, string key, string what, Func<string, string?> isValid)
    {
        ArgumentNullException.ThrowIfNull(isValid);
        if (OptionalText(map, key, what) is not { } text)
            return null;
        return isValid(text) is { } wrong ? throw At(Get(map, key)!, $"{what}: {key} '{text}' {wrong}") : text;
    }

    /// <summary>A required value checked by <paramref name="isValid"/>.</summary>
    public string RequiredChecked(YamlMappingNode map, string key, string what, Func<string, string?> isValid)
        => OptionalChecked(map, key, what, isValid) ?? throw At(map, $"{what}: '{key}' is required");

    /// <summary>An integer in <paramref name="min"/>..<paramref name="max"/>, or null when absent.</summary>
    public long? OptionalInteger(YamlMappingNode map, string key, string what, long min, long max, string? range = null)
    {
        if (OptionalText(map, key, what) is not { } text)
            return null;
        var node = Get(map, key)!;
        if (!TryInteger(text, out long value, out bool overflow) && !overflow)
            throw At(node, $"{what}: {key} '{text}' is not an integer");
        if (overflow || value < min || value > max)
            throw At(node, $"{what}: {key} {text} is out of range ({range ?? $"{min}..{max}"})");
        return value;
    }

    /// <summary>
    /// A bridge port's OpenFlow number, or null when absent: 1..65279 (0xfeff), as Open vSwitch's
    /// ofport_request takes it; OFPP_MAX (0xff00) and above are OpenFlow's reserved ports (65534 is
    /// OFPP_LOCAL, the bridge's own), and 0 is no port.
    /// </summary>
    public uint? OptionalOfPort(YamlMappingNode map, string key, string what)
        => (uint?)OptionalInteger(map, key, what, 1, OpenFlowPorts.Max - 1,
            "1..65279 (0xfeff): 0xff00 and above are OpenFlow's reserved ports, 65534 is OFPP_LOCAL");

    /// <summary><c>true</c> or <c>false</c>, or null when absent.</summary>
    public bool? OptionalBoolean(YamlMappingNode map, string key, string what)
        => OptionalText(map, key, what) switch
        {
            null => null,
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            var t => throw At(Get(map, key)!, $"{what}: {key} '{t}' is not true or false"),
        };

    /// <summary>Throws at the second of two entries of one list that share a key (the node: where to point).</summary>
    public void Unique<T>(IEnumerable<(T Key, YamlNode Node)> entries, string what)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(entries);
        var first = new Dictionary<T, YamlNode>();
        foreach (var (k, node) in entries)
        {
            if (!first.TryAdd(k, node))
                throw At(node, $"{what} {k} is given twice", $"the first is at line {first[k].Start.Line}");
        }
    }

    // ---- value checks (null: valid; else what is wrong, after the quoted value)

    /// <summary>An IPv4 address.</summary>
    public static string? Ipv4(string text) => Ipv4Address.TryParse(text, out _) ? null : "is not an IPv4 address";

    /// <summary>A MAC address.</summary>
    public static string? Mac(string text) => MacAddress.TryParse(text, out _) ? null : "is not a MAC address (six hex pairs, aa:bb:cc:dd:ee:ff)";

    /// <summary>A network: an IPv4 address with a prefix length, no bits set after the prefix (10.222.0.0/16).</summary>
    public static string? Ipv4Prefix(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
            return "is not a network (ADDRESS/PREFIX, e.g. 10.222.0.0/16)";
        if (!Ipv4Address.TryParse(text.AsSpan(0, slash), out var ip))
            return "is not a network: the address is not IPv4";
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > 32)
            return "is not a network: the prefix length is not 0..32";
        return (ip.Value & ~Ipv4Address.PrefixMask(length)) != 0 ? $"is not a network: bits are set after /{length}" : null;
    }

    /// <summary>An interface address, with or without its prefix length (10.222.1.1/24, 10.222.0.1).</summary>
    public static string? Ipv4Interface(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!Ipv4Address.TryParse(slash < 0 ? text : text.AsSpan(0, slash), out _))
            return "is not an IPv4 address";
        return slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > 32)
            ? "has no valid prefix length (0..32)" : null;
    }

    /// <summary>
    /// A Linux interface name as the kernel's dev_valid_name takes it: 1 to 15 bytes of UTF-8 (IFNAMSIZ
    /// less the NUL), not "." or "..", and no '/', ':', NUL or byte the kernel's isspace() calls space:
    /// ASCII white space and 0xa0 (so "à", UTF-8 c3 a0, is refused as <c>ip link add</c> refuses it).
    /// </summary>
    public static string? InterfaceName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        bool valid = bytes.Length is > 0 and <= 15 && text is not "." and not ".."
            && !bytes.Any(b => b is (byte)'/' or (byte)':' or 0 or (>= 0x09 and <= 0x0d) or 0x20 or 0xa0);
        return valid ? null : "is not an interface name (1 to 15 bytes; no '/', ':' or white space)";
    }

    // ---- helpers

    /// <summary>Decimal (optionally signed) or 0x hexadecimal; <paramref name="overflow"/> when the digits are valid but too many.</summary>
    private static bool TryInteger(string text, out long value, out bool overflow)
    {
        overflow = false;
        value = 0;
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var digits = hex ? text.AsSpan(2) : text.AsSpan();
        bool negative = !hex && digits.Length > 1 && digits[0] == '-';
        if (!hex && digits.Length > 1 && digits[0] is '-' or '+')
            digits = digits[1..];
        if (digits.IsEmpty || digits.ContainsAnyExcept(hex ? "0123456789abcdefABCDEF" : "0123456789"))
            return false;
        var style = hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None;
        if (!ulong.TryParse(digits, style, CultureInfo.InvariantCulture, out ulong magnitude) || magnitude > long.MaxValue)
        {
            overflow = true;
            return false;
        }
        value = negative ? -(long)magnitude : (long)magnitude;
        return true;
    }

    /// <summary>The key node of <paramref name="key"/> in <paramref name="map"/> (which has it): where an error about the key points.</summary>
    public YamlNode Key(YamlMappingNode map, string key)
    {
        ArgumentNullException.ThrowIfNull(map);
        return map.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: { } v } && v == key) ?? throw At(map, $"'{key}' is required");
    }

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "an empty value",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "an alias",
    };

    /// <summary>Walks the parser's events once, refusing nesting deeper than <see cref="MaxDepth"/> at the node that goes too deep.</summary>
    private static void CheckDepth(string text, string file)
    {
        var scanner = new Scanner(new StringReader(text));
        var parser = new Parser(scanner);
        int depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is MappingStart or SequenceStart)
                {
                    if (++depth > MaxDepth)
                    {
                        var at = parser.Current.Start;
                        throw new InputException(file, Position(at.Line), Position(at.Column), $"nested more than {MaxDepth} levels deep");
                    }
                }
                else if (parser.Current is MappingEnd or SequenceEnd)
                {
                    depth--;
                }
            }
        }
        catch (YamlException e)
        {
            throw Syntax(e, file);
        }
        catch (InvalidOperationException e)
        {
            throw ScannerFault(e, scanner, file);
        }
    }

    /// <summary>
    /// YamlDotNet 16's scanner throws InvalidOperationException, not a YamlException, on some broken
    /// flow collections (a <c>{</c> left open before the next <c>- {</c> line, as a cut-short line
    /// leaves it): the input is not YAML, so it is an error where the scanner stopped.
    /// </summary>
    private static InputException ScannerFault(InvalidOperationException e, Scanner scanner, string file)
        => new(file, Position(scanner.CurrentPosition.Line), Position(scanner.CurrentPosition.Column),
            "not valid YAML here (an unclosed '{' or '['?)", null, e);

    private static InputException Syntax(YamlException e, string file)
    {
        string what = (e.InnerException as YamlException)?.Message ?? e.Message;
        if (what.Length > 0 && char.IsUpper(what[0]) && !(what.Length > 1 && char.IsUpper(what[1])))
            what = char.ToLowerInvariant(what[0]) + what[1..];
        return new InputException(file, Position(e.Start.Line), Position(e.Start.Column), what.TrimEnd('.'), null, e);
    }

    private static int Position(long value) => (int)Math.Clamp(value, 1, int.MaxValue);
}
