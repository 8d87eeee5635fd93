namespace Datapath.Packets;

/// <summary>
/// The one located error: input that is wrong at a place. Every reader of user input (flows, actions,
/// groups, iptables-save, ipset save, routes, scenario and lab YAML, flow text on the command line,
/// control-socket requests, pcap and pcapng files) throws this type and no other, and the CLI turns it
/// into one line, <c>error: LOCATION: what</c> (and <c>hint: ...</c> below it when there is one), and
/// exit code 1, in one place.
///
/// <para>Position. Text input is located by <see cref="Line"/> and <see cref="Column"/>, 1-based as
/// editors and compilers count them (a column counts characters, a tab is one); <see cref="Column"/> 0
/// means the whole line and <see cref="Line"/> 0 the whole file (a file that is missing, empty, or a
/// directory). Binary input is located by <see cref="Offset"/>, the byte offset from the start of the
/// file (for a truncation: the start of the record or block cut short); it is -1 for text.</para>
///
/// <para>Invariants: <see cref="What"/> says what is wrong in the words of the tool the input was
/// written for (ovs-ofctl, iptables-restore, ipset, Linux's ip), without the location; the location is
/// never guessed: a reader that parses a fragment of a larger file (the action text of a flow line, a
/// rule embedded in YAML) reports positions relative to the fragment and the caller re-bases them with
/// <see cref="Within"/>.</para>
/// </summary>
public sealed class InputException : Exception
{
    public InputException(string file, int line, int column, string what, string? hint = null, Exception? innerException = null)
        : base(Format(file, line, column, -1, what), innerException)
    {
        File = file;
        Line = line;
        Column = column;
        Offset = -1;
        What = what;
        Hint = hint;
    }

    private InputException(string file, long offset, string what, string? hint)
        : base(Format(file, 0, 0, offset, what))
    {
        File = file;
        Offset = offset;
        What = what;
        Hint = hint;
    }

    public InputException()
        : this("<input>", 0, 0, "bad input")
    {
    }

    public InputException(string message)
        : this("<input>", 0, 0, message)
    {
    }

    public InputException(string message, Exception innerException)
        : this("<input>", 0, 0, message, null, innerException)
    {
    }

    /// <summary>Bad binary input at a byte offset.</summary>
    public static InputException AtOffset(string file, long offset, string what, string? hint = null)
        => new(file, offset, what, hint);

    /// <summary>Bad input that is the whole file (missing, empty, a directory, the wrong kind).</summary>
    public static InputException InFile(string file, string what, string? hint = null)
        => new(file, 0, 0, what, hint);

    /// <summary>The file as the user named it (a path, or a name such as <c>FLOW</c> for command-line text).</summary>
    public string File { get; }

    /// <summary>1-based line; 0 for the whole file or for binary input.</summary>
    public int Line { get; }

    /// <summary>1-based column; 0 for the whole line.</summary>
    public int Column { get; }

    /// <summary>Byte offset for binary input; -1 for text.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string What { get; }

    /// <summary>How to fix it, when we know (a "did you mean", the accepted values); null otherwise.</summary>
    public string? Hint { get; }

    /// <summary><c>FILE:LINE:COL</c>, <c>FILE:LINE</c>, <c>FILE</c>, or <c>FILE: offset N</c>.</summary>
    public string Location => FormatLocation(File, Line, Column, Offset);

    /// <summary>
    /// The same error placed inside a larger input: this error's positions are relative to a fragment
    /// that starts at <paramref name="line"/>, <paramref name="column"/> of <paramref name="file"/>
    /// (both 1-based). A fragment's line 1 keeps the column shift; later lines keep their own columns.
    /// </summary>
    public InputException Within(string file, int line, int column)
    {
        if (Offset >= 0)
            return new InputException(file, Offset, What, Hint);
        var l = Line == 0 ? line : line + Line - 1;
        var c = Column == 0 ? (Line == 0 ? column : 0) : (Line <= 1 ? column + Column - 1 : Column);
        return new InputException(file, l, c, What, Hint, InnerException);
    }

    /// <summary>The same error with a hint (keeps an existing hint).</summary>
    public InputException WithHint(string hint)
        => Hint is not null ? this
            : Offset >= 0 ? new InputException(File, Offset, What, hint)
            : new InputException(File, Line, Column, What, hint, InnerException);

    private static string Format(string file, int line, int column, long offset, string what)
        => $"{FormatLocation(file, line, column, offset)}: {what}";

    private static string FormatLocation(string file, int line, int column, long offset)
        => offset >= 0 ? $"{file}: offset {offset}"
            : line <= 0 ? file
            : column <= 0 ? $"{file}:{line}"
            : $"{file}:{line}:{column}";

    public override string ToString() => Hint is null ? Message : $"{Message}\nhint: {Hint}";
}
