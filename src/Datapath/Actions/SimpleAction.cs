using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// Actions with no operand: <c>drop</c>, <c>dec_ttl</c>, <c>pop_vlan</c>/<c>strip_vlan</c>, <c>ct_clear</c>.
/// </summary>
public sealed class SimpleAction : FlowAction
{
    public SimpleAction(ActionKind kind, string keyword) : base(kind) => Keyword = keyword;

    public string Keyword { get; }

    public override void Format(StringBuilder sb, IPortMap? ports) => sb.Append(Keyword);
}
