using System.Globalization;

namespace Datapath.Io.Live;

/// <summary>
/// Reads Linux's /proc/net/dev: two header lines, then one line per device, <c>NAME: </c> and sixteen
/// counters, eight received (bytes packets errs drop fifo frame compressed multicast) and eight
/// transmitted (bytes packets errs drop fifo colls carrier compressed).
/// </summary>
internal static class ProcNetDev
{
    /// <summary>The transmit drop counter of <paramref name="device"/>, or null when it is not listed.</summary>
    public static long? TxDropped(string text, string device)
    {
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || line.AsSpan(0, colon).Trim().ToString() != device)
                continue;
            string[] counters = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return counters.Length >= 16 && long.TryParse(counters[11], NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;
        }
        return null;
    }
}
