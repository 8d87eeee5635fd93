using System.Text;

namespace Datapath.Benchmarks;

/// <summary>
/// Best-of-rounds per-thread CPU time of benchmark operations, for a machine whose wall clock is
/// inflated by other load: each op is timed with clock_gettime(CLOCK_THREAD_CPUTIME_ID) over many
/// short rounds (shorter than a scheduler slice on a loaded machine) and the minimum kept, which
/// filters out rounds whose caches a neighbour disturbed; the allocation column sums every round.
/// </summary>
public static class CpuTimeHarness
{
    /// <summary>The ops' results, kept so that the JIT cannot drop the work.</summary>
    private static long s_sink;

    /// <summary>
    /// Times each case (an op doing <paramref name="opsPerCall"/> operations per call) and returns a Markdown table row per case: ns and M/s per operation, bytes.
    /// </summary>
    public static string Run((string Name, Func<int> Op)[] cases, int opsPerCall, int callsPerRound, int rounds, int warmupCalls)
    {
        var sb = new StringBuilder();
        ThreadCpuClock.Nanoseconds();   // bind the P/Invoke before any allocation is counted
        foreach (var (name, op) in cases)
        {
            // Warm up past tiering (call counting, OSR, the background tier-1 JIT) before timing.
            for (int w = 0; w < 3; w++)
            {
                for (int i = 0; i < warmupCalls; i++)
                    op();
                Thread.Sleep(100);
            }
            double best = double.MaxValue;
            long allocated = 0;
            for (int r = 0; r < rounds; r++)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = ThreadCpuClock.Nanoseconds();
                int sink = 0;
                for (int i = 0; i < callsPerRound; i++)
                    sink += op();
                long t1 = ThreadCpuClock.Nanoseconds();
                allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                s_sink += sink;
                best = Math.Min(best, (t1 - t0) / ((double)callsPerRound * opsPerCall));
            }
            sb.AppendLine(System.FormattableString.Invariant($"| {name} | {best:F1} ns | {1000 / best:F2} M/s | {allocated} B |"));
        }
        return sb.ToString();
    }
}
