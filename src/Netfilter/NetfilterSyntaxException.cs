namespace Datapath.Netfilter;

/// <summary>
/// A line of an <c>iptables-save</c> or <c>ipset save</c> file that we cannot load. <see cref="Exception.Message"/>
/// is the whole user-facing text: <c>FILE:LINE: what is wrong</c> for syntax errors, and
/// <c>unsupported match 'X' at FILE:LINE</c> / <c>unsupported target 'X' at FILE:LINE</c> for modules we do
/// not implement (never silently ignored).
/// </summary>
public sealed class NetfilterSyntaxException : Exception
{
    public NetfilterSyntaxException()
    {
        File = "<input>";
    }

    public NetfilterSyntaxException(string message)
        : base(message)
    {
        File = "<input>";
    }

    public NetfilterSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = "<input>";
    }

    private NetfilterSyntaxException(string file, int line, string message, bool unsupported)
        : base(message)
    {
        File = file;
        Line = line;
        IsUnsupported = unsupported;
    }

    public string File { get; }

    public int Line { get; }

    /// <summary>True when the input is valid iptables/ipset syntax that uses a module we do not implement.</summary>
    public bool IsUnsupported { get; }

    internal static NetfilterSyntaxException At(string file, int line, string what)
        => new(file, line, $"{file}:{line}: {what}", unsupported: false);

    internal static NetfilterSyntaxException UnsupportedMatch(string file, int line, string name)
        => new(file, line, $"unsupported match '{name}' at {file}:{line}", unsupported: true);

    internal static NetfilterSyntaxException UnsupportedTarget(string file, int line, string name)
        => new(file, line, $"unsupported target '{name}' at {file}:{line}", unsupported: true);

    internal static NetfilterSyntaxException UnsupportedOption(string file, int line, string module, string option)
        => new(file, line, $"unsupported option '{option}' of '{module}' at {file}:{line}", unsupported: true);
}
