using System.Globalization;
using System.Text;

namespace Datapath.Classifier;

/// <summary>
/// A duration as ovs-ofctl prints one (ofp_print_duration): whole seconds, then a fraction only when there is one —
/// three digits for whole milliseconds (OVS keeps millisecond times), then <c>s</c>: <c>0s</c>, <c>5.270s</c>.
/// </summary>
public static class OfpDuration
{
    public static StringBuilder Append(StringBuilder sb, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(sb);
        long ms = Math.Max(0, (long)duration.TotalMilliseconds);
        sb.Append((ms / 1000).ToString(CultureInfo.InvariantCulture));
        if (ms % 1000 != 0)
            sb.Append('.').Append((ms % 1000).ToString("000", CultureInfo.InvariantCulture));
        return sb.Append('s');
    }
}
