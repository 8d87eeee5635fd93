using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary><c>group:N</c>: run the group's buckets (select: one by hash; all: each on a copy).</summary>
public sealed class GroupAction : FlowAction
{
    public GroupAction(uint groupId) : base(ActionKind.Group) => GroupId = groupId;

    public uint GroupId { get; }

    public override void Format(StringBuilder sb, IPortMap? ports) => sb.Append("group:").Append(GroupId);
}
