using System.Globalization;

namespace Datapath.Engine.Host;

/// <summary>A route, neighbour or interface line the host stack cannot use; <see cref="ToString"/> gives <c>FILE:LINE:COL: message</c>.</summary>
public sealed class HostConfigException : Exception
{
    public HostConfigException(string file, int line, int column, string message)
        : base(message)
    {
        File = file;
        Line = line;
        Column = column;
    }

    public HostConfigException()
        : this("<input>", 1, 1, "invalid host configuration")
    {
    }

    public HostConfigException(string message)
        : this("<input>", 1, 1, message)
    {
    }

    public HostConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = "<input>";
        Line = 1;
        Column = 1;
    }

    public string File { get; }
    public int Line { get; }
    public int Column { get; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}:{Column}: {Message}");
}
