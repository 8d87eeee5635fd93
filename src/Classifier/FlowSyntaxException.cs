namespace Datapath.Classifier;

/// <summary>
/// Bad flow text: names the file, 1-based line and column, and what is wrong.
/// <see cref="Exception.ToString"/> gives <c>FILE:LINE:COL: message</c>.
/// </summary>
public sealed class FlowSyntaxException : Exception
{
    public FlowSyntaxException(string file, int line, int column, string message)
        : base(message)
    {
        File = file;
        Line = line;
        Column = column;
    }

    public FlowSyntaxException()
        : this("<input>", 1, 1, "flow syntax error")
    {
    }

    public FlowSyntaxException(string message)
        : this("<input>", 1, 1, message)
    {
    }

    public FlowSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = "<input>";
        Line = 1;
        Column = 1;
    }

    public string File { get; }
    public int Line { get; }
    public int Column { get; }

    /// <summary><c>FILE:LINE:COL: message</c>.</summary>
    public string Location => $"{File}:{Line}:{Column}";

    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
