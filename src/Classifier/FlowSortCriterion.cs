using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// One key of <c>ovs-ofctl dump-flows --sort[=FIELD]</c> / <c>--rsort[=FIELD]</c> (ovs-ofctl(8); compare_flows in
/// utilities/ovs-ofctl.c): the rule's priority (no FIELD, or <c>priority</c>), or a match field's value. Flows that
/// do not match on the field sort after those that do, in either direction; values compare as the field's bytes in
/// network order do (numerically). Sorting spans every table, as ovs-ofctl's does. Where OVS's qsort leaves equal
/// flows in no particular order, ours keeps them in dump order (table, then load order).
/// </summary>
public sealed record FlowSortCriterion(FieldInfo? Field, bool Descending)
{
    /// <summary>Parses <c>--sort</c>'s value (null or empty: priority).</summary>
    /// <exception cref="InputException">Not a field name (with a "did you mean").</exception>
    public static FlowSortCriterion Parse(string? field, bool descending, string source = "--sort")
    {
        if (string.IsNullOrEmpty(field) || field == "priority")
            return new(null, descending);
        if (FieldRegistry.TryGet(field, out var f))
            return new(f, descending);
        string? close = DidYouMean.Closest(field, FieldRegistry.AllNames.Append("priority"));
        throw new InputException(source, 1, 1, $"'{field}' is not a field to sort by (a match field or priority){(close is null ? "" : $"; did you mean {close}?")}");
    }

    /// <summary>The rules in the order the criteria give, stable for equal keys.</summary>
    public static IEnumerable<FlowRule> Sort(IEnumerable<FlowRule> rules, IReadOnlyList<FlowSortCriterion> criteria)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        return criteria.Count == 0 ? rules : rules.Order(Comparer<FlowRule>.Create((a, b) => Compare(a, b, criteria)));
    }

    private static int Compare(FlowRule a, FlowRule b, IReadOnlyList<FlowSortCriterion> criteria)
    {
        foreach (var c in criteria)
        {
            int ret;
            if (c.Field is not { } f)
                ret = a.Priority.CompareTo(b.Priority);
            else
            {
                bool ina = a.Match.GetMask(f) != 0, inb = b.Match.GetMask(f) != 0;
                if (ina != inb)
                    return ina ? -1 : 1; // missing fields sort to the end whatever the direction
                ret = ina ? a.Match.GetValue(f).CompareTo(b.Match.GetValue(f)) : 0;
            }
            if (ret != 0)
                return c.Descending ? -ret : ret;
        }
        return 0;
    }
}
