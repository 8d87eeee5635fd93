using System.Globalization;
using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>bundle(fields,basis,algorithm,ofport,members:P1,P2...)</c> outputs to one live member, and
/// <c>bundle_load(fields,basis,algorithm,ofport,DST[range],members:...)</c> writes the chosen member's port number
/// (OFPP_NONE, 0xffff, when none is live) into DST instead (lib/bundle.c). <c>hrw</c> takes the live member with the
/// highest <c>hash_2words(index, flow_hash_fields(flow, fields, basis))</c>, <c>active_backup</c> the first live one.
/// A member is live as OVS's member_enabled_cb says: a port of the bridge (whose ports are always up here, as OVS's
/// dummy ports are), LOCAL (the bridge's own port), or one of IN_PORT, TABLE, NORMAL, FLOOD, ALL, NONE; never
/// CONTROLLER or a port the bridge lacks.
/// </summary>
public sealed class BundleAction : FlowAction
{
    public BundleAction(NxHashFields fields, ushort basis, BundleAlgorithm algorithm, uint[] members, FieldRef? destination)
        : base(ActionKind.Bundle)
    {
        Fields = fields;
        Basis = basis;
        Algorithm = algorithm;
        Members = members;
        Destination = destination;
        Outputs = [.. members.Select(m => new OutputAction(m))];
        NoneOutput = new OutputAction(OpenFlowPorts.None);
    }

    public NxHashFields Fields { get; }
    public ushort Basis { get; }
    public BundleAlgorithm Algorithm { get; }
    public IReadOnlyList<uint> Members { get; }
    /// <summary>bundle_load's destination; null for bundle.</summary>
    public FieldRef? Destination { get; }
    /// <summary>The output each member runs as (bundle), by member index.</summary>
    internal OutputAction[] Outputs { get; }
    /// <summary>What bundle runs when no member is live: output to NONE, which sends nothing.</summary>
    internal OutputAction NoneOutput { get; }

    /// <summary>
    /// bundle_execute: the index of the chosen member, or -1 when none is live. The hashed fields are ORed into
    /// <paramref name="consulted"/> when <paramref name="track"/> (hrw with more than one member, as OVS masks them).
    /// </summary>
    public int Choose(in FlowKey key, Func<uint, bool> isLive, ref FlowKey consulted, bool track, out uint hash)
    {
        ArgumentNullException.ThrowIfNull(isLive);
        hash = 0;
        if (Algorithm == BundleAlgorithm.ActiveBackup)
        {
            for (int i = 0; i < Members.Count; i++)
            {
                if (isLive(Members[i]))
                    return i;
            }
            return -1;
        }
        if (track && Members.Count > 1)
            FlowHashFields.Consult(in key, Fields, ref consulted);
        hash = FlowHashFields.Hash(in key, Fields, Basis);
        int best = -1;
        uint bestHash = 0;
        for (int i = 0; i < Members.Count; i++)
        {
            if (!isLive(Members[i]))
                continue;
            uint h = OvsHash.Int((uint)i, hash);
            if (best < 0 || h > bestHash)
            {
                best = i;
                bestHash = h;
            }
        }
        return best;
    }

    /// <summary>bundle_format: the same text whatever the OpenFlow version.</summary>
    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        sb.Append(Destination is null ? "bundle(" : "bundle_load(")
            .Append(FlowHashFields.Name(Fields)).Append(',')
            .Append(Basis.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(Algorithm == BundleAlgorithm.Hrw ? "hrw" : "active_backup").Append(",ofport,");
        if (Destination is { } d)
        {
            OvsFieldNames.AppendSubfield(sb, d);
            sb.Append(',');
        }
        sb.Append("members:");
        for (int i = 0; i < Members.Count; i++)
        {
            if (i > 0)
                sb.Append(',');
            sb.Append(OpenFlowPorts.ReservedName(Members[i]) ?? FieldSyntax.FormatPort(Members[i], ports));
        }
        sb.Append(')');
    }
}
