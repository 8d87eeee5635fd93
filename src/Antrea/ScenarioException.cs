namespace Datapath.Antrea;

/// <summary>A scenario that cannot be loaded: names the file, line and column (1-based) and what is wrong.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(string file, int line, int column, string message, Exception? inner = null) : base(message, inner)
    {
        File = file;
        Line = line;
        Column = column;
    }

    public ScenarioException() : this("<scenario>", 1, 1, "bad scenario") { }

    public ScenarioException(string message) : this("<scenario>", 1, 1, message) { }

    public ScenarioException(string message, Exception innerException) : this("<scenario>", 1, 1, message, innerException) { }

    public string File { get; }
    public int Line { get; }
    public int Column { get; }

    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
