using System.Text.RegularExpressions;
using Datapath.Packets;

namespace Datapath.Classifier.Tests;

public partial class SeedRoundTripTests
{
    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();

    public static TheoryData<string, int, string> SeedFlowLines()
    {
        var data = new TheoryData<string, int, string>();
        foreach (string path in Directory.GetFiles(Path.Combine("Data", "seeds"), "*.txt").Order(StringComparer.Ordinal))
        {
            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                // The articles' dumps are HTML with <b> highlights; the flow text is what is left.
                string text = Tags().Replace(lines[i], string.Empty).Trim();
                if (text.StartsWith("cookie=", StringComparison.Ordinal) && text.Contains("actions=", StringComparison.Ordinal))
                    data.Add(Path.GetFileName(path), i + 1, text);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SeedFlowLines))]
    public void Every_seed_dump_line_round_trips(string file, int line, string text)
    {
        if (text.Contains(",w_dst=", StringComparison.Ordinal))
        {
            // The article's typo (001_79d0fd082dcdd7df.txt, table 40) must be refused, with the fix named.
            var ex = Assert.Throws<InputException>(() => FlowParser.Parse(text, Scenario.AllPorts, file, line));
            Assert.Equal("unknown field 'w_dst' (did you mean nw_dst?)", ex.What);
            return;
        }
        FlowRule rule = FlowParser.Parse(text, Scenario.AllPorts, file, line).ToRule();
        Assert.Equal(Space().Replace(text, string.Empty), Space().Replace(rule.Format(Scenario.AllPorts, withStats: false), string.Empty));
    }

    [Fact]
    public void Seeds_hold_the_flow_lines_the_tests_expect()
        => Assert.True(SeedFlowLines().Count >= 140);
}
