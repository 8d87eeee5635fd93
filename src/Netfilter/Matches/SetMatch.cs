using Datapath.Netfilter.IpSets;

namespace Datapath.Netfilter.Matches;

/// <summary>
/// <c>-m set [!] --match-set NAME FLAGS</c> (xt_set): FLAGS is a comma list of <c>src</c>/<c>dst</c>, one per
/// dimension of the set's type (hash:ip,port with <c>dst,dst</c> takes the destination address and port).
/// The set is bound by name when the engine is built.
/// </summary>
public sealed class SetMatch : XtMatch
{
    internal SetMatch(string setName, bool[] sourceDimensions, bool invert, string file, int line, int column)
    {
        SetName = setName;
        SourceDimensions = sourceDimensions;
        Invert = invert;
        File = file;
        Line = line;
        Column = column;
    }

    public override string Name => "set";

    public string SetName { get; }

    /// <summary>For each dimension, true = src, false = dst.</summary>
    public IReadOnlyList<bool> SourceDimensions { get; }

    public bool Invert { get; }

    internal string File { get; }

    internal int Line { get; }

    /// <summary>The column of the set's name on its line.</summary>
    internal int Column { get; }

    internal IpSet? Set;

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        var set = Set;
        if (set is null)
            return Invert;
        var dims = (bool[])SourceDimensions;
        return set.Contains(in packet.Key, dims) ^ Invert;
    }
}
