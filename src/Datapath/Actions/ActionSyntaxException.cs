namespace Datapath.Engine.Actions;

/// <summary>
/// An action list that cannot be parsed or cannot run with its rule's match. <see cref="Offset"/>
/// is the 0-based character offset in the action text; loaders turn it into FILE:LINE:COL.
/// </summary>
public sealed class ActionSyntaxException : FormatException
{
    public ActionSyntaxException(string message, int offset) : base(message) => Offset = offset;

    public ActionSyntaxException() : base("bad action") { }

    public ActionSyntaxException(string message) : base(message) { }

    public ActionSyntaxException(string message, Exception innerException) : base(message, innerException) { }

    public int Offset { get; }
}
