using System.Runtime.CompilerServices;

namespace Datapath.Engine;

/// <summary>
/// One value per thread for one owner (a node's translation contexts, a host's working state), with
/// the value a thread used last kept in two thread-statics: a thread that keeps running the same owner
/// skips ThreadLocal's lookup, which costs as much as a flow cache probe per frame.
/// </summary>
/// <remarks>The thread-statics are per closed type (one pair for XlateContext, one for HostContext);
/// they hold a reference to the last owner used on each thread, as ThreadLocal's own slots do.</remarks>
internal sealed class PerThread<T>(Func<T> create) : IDisposable
    where T : class
{
    [ThreadStatic]
    private static PerThread<T>? t_last;
    [ThreadStatic]
    private static T? t_lastValue;

    private readonly ThreadLocal<T> _all = new(create, trackAllValues: true);

    /// <summary>This thread's value, created on first use.</summary>
    public T Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (ReferenceEquals(t_last, this))
                return t_lastValue!;
            var value = _all.Value!;
            t_lastValue = value;
            t_last = this;
            return value;
        }
    }

    /// <summary>Every thread's value so far.</summary>
    public IList<T> Values => _all.Values;

    /// <summary>Releases the values; the disposing thread forgets its cached one (other threads' are dropped when they next use another owner).</summary>
    public void Dispose()
    {
        if (ReferenceEquals(t_last, this))
        {
            t_last = null;
            t_lastValue = null;
        }
        _all.Dispose();
    }
}
