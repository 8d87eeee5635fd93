using Datapath.Packets;
using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Every key and value of the seed's cluster.yaml, broken one at a time: the key typo'd, the entry
/// deleted, the value emptied, the value given the wrong type (a list for a scalar, a scalar for a
/// mapping or list), the value replaced by a word that is no address, number or file. Loading the
/// result must either succeed or throw an <see cref="InputException"/> that points into cluster.yaml
/// (line > 0) — never another exception, never a whole-file error for a fault inside the file — and
/// for a typo, an empty value and a wrong type, at the very line of the key (a typo: its column too,
/// with "did you mean" the real key).
/// </summary>
public sealed class ClusterYamlMutationTests
{
    /// <summary>Keys of these mappings are names the user chooses, so a "typo" there is just another name.</summary>
    private static readonly string[] s_freeFormMappings = ["packets", "labels"];

    private enum Expect
    {
        /// <summary>Refused at the key's line (and, for a typo, its column and a did-you-mean hint).</summary>
        RefusedAtKey,
        /// <summary>Loads, or is refused somewhere in cluster.yaml.</summary>
        LoadsOrRefusedInFile,
        /// <summary>Loads (a new name in a free-form mapping).</summary>
        Loads,
    }

    private sealed record Mutation(string Description, string Text, Expect Expect, YamlNode Key, string? Hint);

    [Fact]
    public void Every_key_and_value_of_the_seed_broken_one_at_a_time_is_refused_where_it_stands_or_loads()
    {
        var mutations = Mutations(SeedScenarioCopy.SeedClusterYaml).ToList();
        Assert.True(mutations.Count > 900, $"only {mutations.Count} mutations");
        var failures = new List<string>();
        int refused = 0, loaded = 0;
        using var copy = new SeedScenarioCopy();
        foreach (var m in mutations)
        {
            string? failure;
            try
            {
                copy.LoadWith(m.Text);
                loaded++;
                failure = m.Expect == Expect.RefusedAtKey ? "loaded, but must be refused" : null;
            }
            catch (InputException e)
            {
                refused++;
                failure = Check(m, e, copy.ClusterYaml);
            }
            catch (Exception e)
            {
                failure = $"threw {e.GetType().Name}: {e.Message}";
            }
            if (failure is not null)
                failures.Add($"{m.Description} (line {m.Key.Start.Line}): {failure}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {mutations.Count} mutations:\n" + string.Join('\n', failures.Take(40)));
        Assert.True(refused > 700 && loaded > 50, $"refused {refused}, loaded {loaded}");
    }

    /// <summary>
    /// The seed cut short at every 5th character, and random bytes (fixed seed): each loads or is an
    /// <see cref="InputException"/> naming cluster.yaml (or a file it names, whose lines the cut left
    /// inconsistent: a rule naming an ipset cluster.yaml no longer loads) — YamlDotNet's own exceptions, the scanner's
    /// InvalidOperationException, a stack overflow from nesting, none may escape.
    /// </summary>
    [Fact]
    public void The_seed_cut_short_anywhere_and_random_bytes_are_refused_as_input()
    {
        string seed = SeedScenarioCopy.SeedClusterYaml;
        var texts = Enumerable.Range(0, seed.Length / 5).Select(i => seed[..(i * 5)]).ToList();
        var random = new Random(14);
        const string alphabet = "ab:- {}[],\"'#&*!|>%@`\t\n\r\0\u0085\u2028\ufeff";
        for (int i = 0; i < 400; i++)
        {
            int length = random.Next(1, 80);
            texts.Add(string.Concat(Enumerable.Range(0, length).Select(_ => random.Next(3) == 0 ? (char)random.Next(0, 0x3000) : alphabet[random.Next(alphabet.Length)])));
        }
        using var copy = new SeedScenarioCopy();
        var failures = new List<string>();
        foreach (string text in texts)
        {
            try
            {
                copy.LoadWith(text);
            }
            catch (InputException e) when (e.File == copy.ClusterYaml || SeedScenarioCopy.FileNames.Contains(e.File) || e.File.EndsWith(".iptables", StringComparison.Ordinal))
            {
                // Cut before ipsets:, worker1.iptables names a set that does not exist (iptables-restore
                // refuses it too), located in that file.
            }
            catch (Exception e)
            {
                failures.Add($"{text.Length} chars ({(text.Length > 40 ? text[^40..] : text).ReplaceLineEndings("\\n")}): {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {texts.Count}:\n" + string.Join('\n', failures.Take(20)));
    }

    private static string? Check(Mutation m, InputException e, string file)
    {
        if (e.File != file || e.Line <= 0)
            return $"refused at {e.Location}, not inside {file}: {e.What}";
        return m.Expect switch
        {
            Expect.Loads => $"refused: {e}",
            Expect.RefusedAtKey when e.Line != m.Key.Start.Line => $"refused at line {e.Line}, not the key's: {e.What}",
            Expect.RefusedAtKey when m.Hint is not null && (e.Column != m.Key.Start.Column || e.Hint != m.Hint) => $"refused at column {e.Column} with hint '{e.Hint}': {e.What}",
            _ => null,
        };
    }

    // ---- the mutations

    private static IEnumerable<Mutation> Mutations(string seed)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(seed));
        return Walk(seed, stream.Documents[0].RootNode, parent: "");
    }

    private static IEnumerable<Mutation> Walk(string seed, YamlNode node, string parent)
    {
        if (node is YamlMappingNode map)
        {
            foreach (var (key, value) in map.Children)
            {
                string k = ((YamlScalarNode)key).Value!;
                foreach (var m in EntryMutations(seed, key, value, k, parent))
                    yield return m;
                foreach (var m in Walk(seed, value, k))
                    yield return m;
            }
        }
        else if (node is YamlSequenceNode seq)
        {
            foreach (var item in seq)
            {
                if (item is YamlScalarNode)
                {
                    int start = (int)item.Start.Index, end = (int)item.End.Index;
                    yield return new($"{parent} item '{Slice(seed, start, end)}' emptied", Splice(seed, start, end, "\"\""), Expect.RefusedAtKey, item, null);
                    yield return new($"{parent} item '{Slice(seed, start, end)}' as a mapping", Splice(seed, start, end, "{ a: 1 }"), Expect.RefusedAtKey, item, null);
                    yield return new($"{parent} item '{Slice(seed, start, end)}' as banana", Splice(seed, start, end, "banana"), Expect.LoadsOrRefusedInFile, item, null);
                }
                foreach (var m in Walk(seed, item, parent))
                    yield return m;
            }
        }
    }

    private static IEnumerable<Mutation> EntryMutations(string seed, YamlNode key, YamlNode value, string k, string parent)
    {
        bool freeForm = s_freeFormMappings.Contains(parent);
        int keyStart = (int)key.Start.Index, keyEnd = (int)key.End.Index;
        var (valueStart, valueEnd, block) = ValueSpan(seed, key, value);
        string where = parent.Length == 0 ? k : $"{parent}.{k}";

        string typo = k[0] + k;
        yield return new($"{where}: key typo'd as {typo}", Splice(seed, keyStart, keyEnd, typo),
            freeForm ? Expect.Loads : Expect.RefusedAtKey, key, freeForm ? null : $"did you mean '{k}'?");

        yield return new($"{where}: entry deleted", Delete(seed, keyStart, valueEnd, block), Expect.LoadsOrRefusedInFile, key, null);

        // A free-form value may be empty (a pod label "" is one Kubernetes allows).
        yield return new($"{where}: value emptied", Splice(seed, valueStart, valueEnd, block ? " \"\"\n" : "\"\""), parent == "labels" ? Expect.Loads : Expect.RefusedAtKey, key, null);

        string wrongType = value is YamlScalarNode ? "[1, 2]" : block ? " 5\n" : "5";
        yield return new($"{where}: value of the wrong type", Splice(seed, valueStart, valueEnd, wrongType), Expect.RefusedAtKey, key, null);

        // A bridge port renamed is a fault of the flows that name it (worker1.flows: in_port: unknown
        // port), located there by the flow parser, not in cluster.yaml.
        bool portName = (k == "port" && parent == "pods") || (k == "name" && parent is "gateway" or "tunnel");
        if (value is YamlScalarNode && !portName)
            yield return new($"{where}: value banana", Splice(seed, valueStart, valueEnd, "banana"), Expect.LoadsOrRefusedInFile, key, null);
    }

    /// <summary>
    /// Where an entry's value stands in the text. A scalar and a flow collection (<c>{...}</c>, <c>[...]</c>)
    /// start at the value (the representation model keeps no end for collections, so a flow collection
    /// ends at its closing bracket); a block collection is everything after the key's colon up to the
    /// next line indented no deeper than the key.
    /// </summary>
    private static (int Start, int End, bool Block) ValueSpan(string text, YamlNode key, YamlNode value)
    {
        int start = (int)value.Start.Index;
        if (value is YamlScalarNode)
            return (start, (int)value.End.Index, false);
        if (text[start] is '{' or '[')
            return (start, ClosingBracket(text, start) + 1, false);
        int colon = text.IndexOf(':', (int)key.End.Index) + 1;
        int keyIndent = (int)key.Start.Column - 1;
        int line = text.IndexOf('\n', colon) + 1;
        while (line > 0 && line < text.Length)
        {
            string l = text[line..text.IndexOf('\n', line)];
            string trimmed = l.TrimStart();
            if (trimmed.Length > 0 && trimmed[0] != '#' && l.Length - trimmed.Length <= keyIndent)
                return (colon, line, true);
            line = text.IndexOf('\n', line) + 1;
        }
        return (colon, text.Length, true);
    }

    private static int ClosingBracket(string text, int open)
    {
        int depth = 0;
        for (int i = open; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"')
                i = text.IndexOf('"', i + 1);
            else if (c is '{' or '[')
                depth++;
            else if (c is '}' or ']' && --depth == 0)
                return i;
        }
        throw new InvalidOperationException($"no closing bracket for the one at {open}");
    }

    /// <summary>Deletes an entry: in a flow mapping with the ", " that joins it to the next (or the previous); a block one with the rest of its line.</summary>
    private static string Delete(string text, int start, int end, bool block)
    {
        if (!block)
        {
            int after = end;
            while (after < text.Length && text[after] == ' ')
                after++;
            if (after < text.Length && text[after] == ',')
                return Splice(text, start, after + 1, "");
            int before = text.LastIndexOf(',', start);
            int lineStart = text.LastIndexOf('\n', start) + 1;
            if (before >= lineStart && text[(before + 1)..start].Trim().Length == 0)
                return Splice(text, before, end, "");
            int eol = text.IndexOf('\n', end);
            return Splice(text, start, eol < 0 ? text.Length : eol + 1, "");
        }
        return Splice(text, start, end, "");
    }

    private static string Splice(string text, int start, int end, string with) => string.Concat(text.AsSpan(0, start), with, text.AsSpan(end));

    private static string Slice(string text, int start, int end) => text[start..end];
}
