using CsCheck;
using Datapath.Packets;
using Datapath.Tests.Shared;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The seed scenario's text files as a hurried or hostile user edits them: a character deleted, doubled or
/// replaced by one that matters to a parser (<c>= , / : . " ' \t \r</c>, a digit, a letter, a byte-order
/// mark), a value emptied, a line deleted, doubled or swapped with the next, in any of the flows,
/// iptables-save, ipset and cluster.yaml files. The contract: the scenario loads, or it is refused with an
/// <see cref="InputException"/> that names one of its files and a line that exists (0 for the whole file) —
/// never another exception.
/// </summary>
public sealed class ScenarioTextPropertyTests
{
    private static readonly string[] Files = ["worker1.flows", "worker2.flows", "worker1.iptables", "worker2.iptables", "ipsets.save", "cluster.yaml"];
    private static readonly AntreaScenario Embedded = AntreaScenario.LoadEmbedded();
    private static readonly string[] Hostile = ["=", ",", "/", ":", ".", "\"", "'", "\t", "\r", "0", "9", "x", "Z", "-", " ", "\uFEFF", "(", ")", "[", "]", "{", "}", "#", "\n"];

    internal sealed record Edit(int Kind, double Where, int Pick);

    private sealed record Case(string File, Edit[] Edits)
    {
        public string Apply(string text) => Edits.Aggregate(text, (t, e) => ApplyOne(t, e));

        public override string ToString() => $"{File}: {string.Join(", ", Edits.Select(e => e.ToString()))}";
    }

    internal static string ApplyOne(string text, Edit e)
    {
        if (text.Length == 0)
            return Hostile[e.Pick % Hostile.Length];
        int at = (int)(e.Where * text.Length);
        string[] lines = text.Split('\n');
        int line = (int)(e.Where * lines.Length);
        switch (e.Kind)
        {
            case 0:
                return text.Remove(at, 1);
            case 1:
                return text.Insert(at, text[at].ToString());
            case 2:
                return text.Remove(at, 1).Insert(at, Hostile[e.Pick % Hostile.Length]);
            case 3: // empty the value after the next '=' or ':'
            {
                int sep = text.IndexOfAny(['=', ':'], at);
                if (sep < 0)
                    return text;
                int end = text.IndexOfAny([',', ' ', '\n'], sep + 1);
                return text.Remove(sep + 1, (end < 0 ? text.Length : end) - sep - 1);
            }
            case 4:
                return string.Join('\n', lines.Where((_, i) => i != line));
            case 5:
                return string.Join('\n', lines.Take(line + 1).Append(lines[line]).Concat(lines.Skip(line + 1)));
            default:
                if (line + 1 < lines.Length)
                    (lines[line], lines[line + 1]) = (lines[line + 1], lines[line]);
                return string.Join('\n', lines);
        }
    }

    private static readonly Gen<Case> ACase =
        Gen.Select(Gen.Int[0, Files.Length - 1], Gen.Select(Gen.Int[0, 6], Gen.Double[0, 0.999], Gen.Int[0, 1000], (k, w, p) => new Edit(k, w, p)).Array[1, 3],
            (f, edits) => new Case(Files[f], edits));

    [Fact]
    [Trait("Category", PropertyRun.Trait)]
    public void An_edited_scenario_file_loads_or_is_refused_at_a_line_of_its_files()
    {
        PropertyRun.Check(nameof(An_edited_scenario_file_loads_or_is_refused_at_a_line_of_its_files), ACase, c =>
        {
            using var copy = new SeedScenarioCopy();
            string text = c.Apply(Embedded.ReadFile(c.File)!);
            File.WriteAllText(copy.PathOf(c.File), text);
            try
            {
                AntreaScenario.Load(copy.Directory);
            }
            catch (InputException e)
            {
                Assert.Contains(SeedScenarioCopy.FileNames, name => e.File == name || e.File == copy.PathOf(name));
                string refused = File.ReadAllText(e.File == copy.ClusterYaml || e.File == "cluster.yaml" ? copy.ClusterYaml : copy.PathOf(Path.GetFileName(e.File)));
                int lines = refused.Split('\n').Length;
                Assert.InRange(e.Line, 0, lines + 1);
            }
        }, cases: 250, print: c => c.ToString());
    }
}
