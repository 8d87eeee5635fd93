using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>The parsed actions of one rule, in order (the classifier sees it as <see cref="IFlowActions"/>).</summary>
public sealed class ActionList : IFlowActions
{
    public static readonly ActionList Empty = new([]);

    public ActionList(FlowAction[] actions, int[]? offsets = null)
    {
        Items = actions;
        _offsets = offsets;
    }

    private readonly int[]? _offsets;

    /// <summary>Offset of action <paramref name="index"/> in the text it was parsed from (0 when built in code).</summary>
    public int OffsetOf(int index) => _offsets is { } o && (uint)index < (uint)o.Length ? o[index] : 0;

    /// <summary>The actions; the array is never mutated after construction.</summary>
    internal FlowAction[] Items { get; }

    public IReadOnlyList<FlowAction> Actions => Items;

    public int Count => Items.Length;

    /// <summary>The (table, cookie) of each learn with delete_learned (see <see cref="IFlowActions.DeleteLearned"/>).</summary>
    public IReadOnlyList<(byte Table, ulong Cookie)> DeleteLearned => _deleteLearned ??= [.. Items.OfType<LearnAction>().Where(l => l.DeleteLearned).Select(l => (l.Table, l.Cookie))];

    private (byte, ulong)[]? _deleteLearned;

    /// <summary>Prints the list as ovs-ofctl does; an empty list is <c>drop</c>.</summary>
    public string Format(IPortMap? ports)
    {
        if (Items.Length == 0)
            return "drop";
        var sb = new StringBuilder();
        for (int i = 0; i < Items.Length; i++)
        {
            if (i > 0)
                sb.Append(',');
            Items[i].Format(sb, ports);
        }
        return sb.ToString();
    }

    public override string ToString() => Format(null);
}
