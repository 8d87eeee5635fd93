using System.Text;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Benchmarks.Geneve;

/// <summary>
/// The CPU-time measurement behind bench/results/geneve.md: the same round trips as
/// <see cref="GeneveEncapDecapBenchmarks"/>, timed with clock_gettime(CLOCK_THREAD_CPUTIME_ID) so
/// other processes' load on the shared cores does not inflate the figure (only cache and frequency
/// effects remain). The minimum over many short rounds (~10 ms each, shorter than a scheduler
/// slice on a loaded machine) filters out the rounds whose caches a neighbour disturbed; the
/// allocation column sums every round. Run:
/// <c>dotnet run -c Release --project bench/Datapath.Benchmarks -- --geneve-cpu-time</c>.
/// </summary>
public static class GeneveCpuTimeHarness
{




    public static string Run(int iterationsPerRound = 100_000, int rounds = 60)
    {
        var b = new GeneveEncapDecapBenchmarks();
        b.Setup();
        var cases = new (string Name, Func<int> Op)[]
        {
            ("encap+decap 64B, no options, csum (IPv4)", b.EncapDecap),
            ("encap+decap 64B, one 4-byte option, csum (IPv4)", b.EncapDecapOneOption),
            ("encap+decap 64B, no options, no csum (IPv4)", b.EncapDecapNoCsum),
            ("encap+decap 64B, no options (IPv6 outer)", b.EncapDecapIpv6),
            ("encap+decap 64B, one 4-byte option (IPv6 outer)", b.EncapDecapOneOptionIpv6),
            ("encap 64B, one 4-byte option, csum (IPv4)", b.EncapOneOption),
            ("decap 64B, one 4-byte option, csum (IPv4)", b.DecapOneOption),
            ("payload only (socket form), one option", b.PayloadOneOption),
        };
        var sb = new StringBuilder();
        ThreadCpuClock.Nanoseconds();   // bind the P/Invoke before any allocation is counted
        foreach (var (name, op) in cases)
        {
            // Warm up past tiering (call counting, OSR, the background tier-1 JIT) before timing.
            for (int w = 0; w < 3; w++)
            {
                for (int i = 0; i < 200_000; i++)
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
                for (int i = 0; i < iterationsPerRound; i++)
                    sink += op();
                long t1 = ThreadCpuClock.Nanoseconds();
                allocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                if (sink == 0)
                    throw new InvalidOperationException("no work done");
                best = Math.Min(best, (t1 - t0) / (double)iterationsPerRound);
            }
            sb.AppendLine(System.FormattableString.Invariant($"| {name} | {best:F1} ns | {1000 / best:F1} M/s | {allocated} B |"));
        }
        return sb.ToString();
    }
}
