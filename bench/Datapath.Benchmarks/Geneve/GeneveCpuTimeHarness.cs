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
        return CpuTimeHarness.Run(cases, opsPerCall: 1, iterationsPerRound, rounds, warmupCalls: 200_000);
    }
}
