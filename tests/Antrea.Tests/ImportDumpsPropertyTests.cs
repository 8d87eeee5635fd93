using CsCheck;
using Datapath.Antrea.Import;
using Datapath.Packets;
using Datapath.Tests.Shared;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The seed's dumps (tests/Data/import/seed) as a careless copy-and-paste leaves them: a word of a line replaced by
/// one that matters to some parser, a line cut short, dropped or pasted twice, in any file of any node. The contract
/// of <c>datapath import</c>: a scenario that loads, or an <see cref="InputException"/> naming one of the dumps (or a
/// node's directory) and a line it has — never another exception, never a scenario that does not load.
/// </summary>
public sealed class ImportDumpsPropertyTests
{
    private static readonly string s_seed = Path.Combine(AppContext.BaseDirectory, "Data", "import", "seed");
    private static readonly string[] s_files = [.. Directory.GetFiles(s_seed, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(s_seed, f)).Order(StringComparer.Ordinal)];
    private static readonly string[] s_words = ["", "-", "0", "65535", "4294967296", "0x", "::", "/33", "dev", "lladdr", "via", "table", "priority=", "actions=", "in_port=\"x\"", "[", "{", "\"", ",", "ff:ff", "10.0.0.256", "inet", "link/ether", "<UP>", "*nat", "COMMIT", "-A", "tun_metadata9", "---", "kind: Pod"];

    private sealed record Mutation(string File, int Kind, double Line, double Word, int Pick)
    {
        public string Apply(string text)
        {
            var lines = text.Split('\n').ToList();
            int l = (int)(Line * lines.Count);
            string[] words = lines[l].Split(' ');
            int w = (int)(Word * words.Length);
            switch (Kind)
            {
                case 0:
                    words[w] = s_words[Pick % s_words.Length];
                    lines[l] = string.Join(' ', words);
                    break;
                case 1:
                    lines[l] = lines[l][..(int)(Word * lines[l].Length)];
                    break;
                case 2:
                    lines.RemoveAt(l);
                    break;
                default:
                    lines.Insert(l, lines[l]);
                    break;
            }
            return string.Join('\n', lines);
        }
    }

    private static readonly Gen<Mutation> AMutation = Gen.Select(Gen.Int[0, s_files.Length - 1], Gen.Int[0, 3], Gen.Double[0, 0.999], Gen.Double[0, 0.999], Gen.Int[0, 1000],
        (f, k, l, w, p) => new Mutation(s_files[f], k, l, w, p));

    [Fact]
    [Trait("Category", PropertyRun.Trait)]
    public void An_edited_dump_imports_into_a_scenario_that_loads_or_is_refused_at_a_line_of_a_dump()
    {
        PropertyRun.Check(nameof(An_edited_dump_imports_into_a_scenario_that_loads_or_is_refused_at_a_line_of_a_dump), AMutation, m =>
        {
            string dir = Directory.CreateTempSubdirectory("import-prop").FullName;
            try
            {
                string input = Path.Combine(dir, "in");
                foreach (string rel in s_files)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(input, rel))!);
                    string text = File.ReadAllText(Path.Combine(s_seed, rel));
                    File.WriteAllText(Path.Combine(input, rel), rel == m.File ? m.Apply(text) : text);
                }
                try
                {
                    ScenarioImporter.Import(ImportInput.Read(input)).Save(Path.Combine(dir, "out"));
                    AntreaScenario.Load(Path.Combine(dir, "out"));
                }
                catch (InputException e)
                {
                    string rel = Path.GetRelativePath(input, e.File);
                    Assert.True(s_files.Contains(rel) || Directory.Exists(e.File), $"the error names {e.File}: {e.Message}");
                    if (File.Exists(e.File))
                        Assert.InRange(e.Line, 0, File.ReadAllText(e.File).Split('\n').Length + 1);
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }, cases: 200, print: m => m.ToString());
    }
}
