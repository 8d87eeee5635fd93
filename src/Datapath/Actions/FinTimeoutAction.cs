using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>fin_timeout(idle_timeout=N,hard_timeout=M)</c> (ovs-actions(7)): when the rule holding it matches a TCP packet
/// with FIN or RST, its idle and hard timeouts are reduced to these (a timeout is set when the rule had none or a
/// longer one; 0 leaves it), as OVS's ofproto_rule_reduce_timeouts. A learn with fin_idle_timeout/fin_hard_timeout
/// puts one first in the flows it learns.
/// </summary>
public sealed class FinTimeoutAction : FlowAction
{
    public FinTimeoutAction(ushort idleTimeout, ushort hardTimeout) : base(ActionKind.FinTimeout)
    {
        IdleTimeout = idleTimeout;
        HardTimeout = hardTimeout;
    }

    public ushort IdleTimeout { get; }
    public ushort HardTimeout { get; }

    /// <summary>Parses the text between <c>fin_timeout(</c> and <c>)</c>.</summary>
    public static FinTimeoutAction Parse(string arg, int offset)
    {
        ArgumentNullException.ThrowIfNull(arg);
        ushort idle = 0, hard = 0;
        foreach (var (s, len) in ActionParser.SplitTopLevel(arg, 0, arg.Length))
        {
            string part = arg.Substring(s, len);
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? part : part[..eq];
            if (eq < 0 || name is not ("idle_timeout" or "hard_timeout"))
                throw ActionParser.Error($"fin_timeout: invalid key '{name}' (idle_timeout=N or hard_timeout=N)", offset + s);
            uint v = ActionParser.ParseUInt32(part[(eq + 1)..], offset + s + eq + 1, "fin_timeout: " + name);
            if (v > ushort.MaxValue)
                throw ActionParser.Error($"fin_timeout: {name}={v} is out of range (0..65535)", offset + s + eq + 1);
            if (name == "idle_timeout")
                idle = (ushort)v;
            else
                hard = (ushort)v;
        }
        return new FinTimeoutAction(idle, hard);
    }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        sb.Append("fin_timeout(");
        if (IdleTimeout != 0)
            sb.Append("idle_timeout=").Append(IdleTimeout.ToString(CultureInfo.InvariantCulture));
        if (HardTimeout != 0)
            sb.Append(IdleTimeout != 0 ? "," : "").Append("hard_timeout=").Append(HardTimeout.ToString(CultureInfo.InvariantCulture));
        sb.Append(')');
    }
}
