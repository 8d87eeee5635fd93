namespace Datapath.Antrea.Import;

/// <summary>
/// One collected file: what it is, how errors name it (its path, or BUNDLE/agent_NODE.tar.gz/flows inside a support
/// bundle) and its text.
/// </summary>
public sealed record DumpFile(DumpKind Kind, string Path, string Text)
{
    /// <summary>Whether the text is an <c>ip -j</c> (JSON) form rather than iproute2's text.</summary>
    public bool IsJson => Text.AsSpan().TrimStart().StartsWith("[", StringComparison.Ordinal);

    /// <summary>The lines that are not blank, each without its line end, with its 1-based number.</summary>
    public IEnumerable<(string Line, int Number)> Lines()
    {
        int n = 0;
        foreach (string raw in Text.Split('\n'))
        {
            n++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length > 0)
                yield return (line, n);
        }
    }
}
