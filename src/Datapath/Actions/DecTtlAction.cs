using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>dec_ttl</c> or <c>dec_ttl(id1,id2,...)</c> (ovs-actions(7)): decrements the IPv4 TTL or IPv6 hop limit; at 1 or
/// 0 the packet is not forwarded by this action list and goes to the controllers with these ids (none: id 0) as a
/// packet-in with reason invalid_ttl, one per id: a counted punt each here.
/// </summary>
public sealed class DecTtlAction : FlowAction
{
    public DecTtlAction(ushort[] controllerIds) : base(ActionKind.DecTtl) => ControllerIds = controllerIds;

    /// <summary>The controller ids written; empty for plain <c>dec_ttl</c>.</summary>
    public IReadOnlyList<ushort> ControllerIds { get; }

    /// <summary>The packet-ins a TTL exception sends: one per id, or one to controller 0.</summary>
    public int PacketIns => Math.Max(1, ControllerIds.Count);

    /// <summary>Parses the ids between the parentheses; an empty list is plain dec_ttl, an empty element is skipped (as ovs-ofctl).</summary>
    internal static DecTtlAction Parse(string arg, int offset)
    {
        var ids = new List<ushort>();
        foreach (var (s, len) in ActionParser.SplitTopLevel(arg, 0, arg.Length))
        {
            string id = arg.Substring(s, len);
            // ovs-ofctl reads the ids with atoi into 16 bits: "a" would be 0 and 70000 4464. Refused instead.
            if (!ushort.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out ushort v))
                throw ActionParser.Error($"dec_ttl: controller id '{id}' is not a number from 0 to 65535", offset + s);
            ids.Add(v);
        }
        return new DecTtlAction([.. ids]);
    }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        sb.Append("dec_ttl");
        if (ControllerIds.Count == 0)
            return;
        sb.Append('(');
        for (int i = 0; i < ControllerIds.Count; i++)
            sb.Append(i > 0 ? "," : "").Append(ControllerIds[i].ToString(CultureInfo.InvariantCulture));
        sb.Append(')');
    }
}
