namespace Datapath.Live;

/// <summary>A lab file that cannot be used: FILE:LINE:COL (1-based) and what is wrong.</summary>
public sealed class LabFileException : Exception
{
    public LabFileException(string file, int line, int column, string message) : base(message)
    {
        File = file;
        Line = line;
        Column = column;
    }

    public LabFileException() : this("<lab>", 1, 1, "bad lab file") { }

    public LabFileException(string message) : this("<lab>", 1, 1, message) { }

    public LabFileException(string message, Exception innerException) : base(message, innerException)
    {
        File = "<lab>";
        Line = 1;
        Column = 1;
    }

    public string File { get; }

    public int Line { get; }

    public int Column { get; }

    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
