using System.Diagnostics;
using System.Runtime;

namespace Datapath.Cli.Bench;

/// <summary>
/// Brings a benchmark's code to its final, optimized form before the clock starts. OVS's ovstest is
/// C compiled ahead of time; our code starts as quickly jitted tier-0 code and is recompiled
/// optimized in the background once it has run a while (tiered compilation: after a 100 ms delay
/// and 30 calls). A timed region of 50 ms would otherwise measure mostly the JIT. The warm-up runs
/// the benchmark's own loop (on throwaway state, or read-only on the real state) until the JIT has
/// compiled no new method for <see cref="Quiet"/>, at most <see cref="Limit"/>.
/// </summary>
internal static class JitWarmup
{
    /// <summary>How long the JIT must have been idle (longer than the tiering delay plus a background compile).</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(250);

    /// <summary>The most a warm-up takes.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(3);

    /// <summary>Runs <paramref name="round"/> (a few milliseconds of the benchmark's work) until the JIT is idle.</summary>
    public static void Run(Action round)
    {
        long start = Stopwatch.GetTimestamp();
        long lastChange = start;
        long methods = JitInfo.GetCompiledMethodCount();
        while (true)
        {
            round();
            long now = Stopwatch.GetTimestamp();
            long m = JitInfo.GetCompiledMethodCount();
            if (m != methods)
            {
                methods = m;
                lastChange = now;
            }
            else if (Stopwatch.GetElapsedTime(lastChange, now) >= Quiet)
            {
                return;
            }
            if (Stopwatch.GetElapsedTime(start, now) >= Limit)
                return;
        }
    }
}
