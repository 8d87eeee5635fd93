using System.Globalization;
using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>multipath(fields,basis,algorithm,n_links,arg,DST[range])</c>: hashes the flow's <c>fields</c> with
/// <c>basis</c> (flow_hash_fields) and writes a link number in [0, n_links) chosen by <c>algorithm</c> into DST
/// (lib/multipath.c). The hashed fields are consulted: every packet of a megaflow gets the same link.
/// </summary>
public sealed class MultipathAction : FlowAction
{
    public MultipathAction(NxHashFields fields, ushort basis, MultipathAlgorithm algorithm, int links, uint arg, FieldRef destination)
        : base(ActionKind.Multipath)
    {
        if (links is < 1 or > 65536)
            throw new ArgumentOutOfRangeException(nameof(links), links, "n_links is 1 to 65536");
        Fields = fields;
        Basis = basis;
        Algorithm = algorithm;
        Links = links;
        Arg = arg;
        Destination = destination;
    }

    public NxHashFields Fields { get; }
    public ushort Basis { get; }
    public MultipathAlgorithm Algorithm { get; }
    /// <summary>n_links, 1 to 65536.</summary>
    public int Links { get; }
    /// <summary>iter_hash's modulo (others ignore it).</summary>
    public uint Arg { get; }
    public FieldRef Destination { get; }

    /// <summary>multipath_execute's link for <paramref name="key"/>, and the flow hash it came from.</summary>
    public ushort Link(in FlowKey key, out uint hash)
    {
        hash = FlowHashFields.Hash(in key, Fields, Basis);
        return Choose(hash, Algorithm, (uint)Links, Arg);
    }

    /// <summary>multipath_algorithm.</summary>
    public static ushort Choose(uint hash, MultipathAlgorithm algorithm, uint links, uint arg) => algorithm switch
    {
        MultipathAlgorithm.ModuloN => (ushort)(hash % links),
        MultipathAlgorithm.HashThreshold => links == 1 ? (ushort)0 : (ushort)(hash / (uint.MaxValue / links + 1)),
        MultipathAlgorithm.Hrw => links <= 64 ? Hrw(hash, links) : IterHash(hash, links, 0),
        _ => IterHash(hash, links, arg),
    };

    private static ushort Hrw(uint hash, uint links)
    {
        ushort best = 0;
        uint bestWeight = OvsHash.Int(hash, 0);
        for (uint link = 1; link < links; link++)
        {
            uint w = OvsHash.Int(hash, link);
            if (w > bestWeight)
            {
                best = (ushort)link;
                bestWeight = w;
            }
        }
        return best;
    }

    private static ushort IterHash(uint hash, uint links, uint modulo)
    {
        if (modulo < links || modulo / 2 > links)
            modulo = RoundUpPow2(links);
        uint i = 0;
        ushort link;
        do
        {
            link = (ushort)(OvsHash.Int(hash, i++) % modulo);
        }
        while (link >= links);
        return link;
    }

    // multipath.c's round_up_pow2 (16-bit: n_links is at most 65536).
    private static uint RoundUpPow2(uint x)
    {
        x--;
        x |= x >> 1;
        x |= x >> 2;
        x |= x >> 4;
        x |= x >> 8;
        return x + 1;
    }

    /// <summary>multipath_format: the same text whatever the OpenFlow version.</summary>
    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        var c = CultureInfo.InvariantCulture;
        sb.Append("multipath(").Append(FlowHashFields.Name(Fields)).Append(',').Append(Basis.ToString(c)).Append(',')
            .Append(Algorithm switch
            {
                MultipathAlgorithm.ModuloN => "modulo_n",
                MultipathAlgorithm.HashThreshold => "hash_threshold",
                MultipathAlgorithm.Hrw => "hrw",
                _ => "iter_hash",
            })
            .Append(',').Append(Links.ToString(c)).Append(',').Append(Arg.ToString(c)).Append(',');
        OvsFieldNames.AppendSubfield(sb, Destination);
        sb.Append(')');
    }
}
