using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Datapath.Benchmarks;

internal static class Program
{
    public static void Main(string[] args)
    {
        // The GENEVE CPU-time harness (bench/results/geneve.md) runs without BenchmarkDotNet.
        if (args is ["--geneve-cpu-time"])
        {
            Console.Write(Geneve.GeneveCpuTimeHarness.Run());
            return;
        }
        if (args is ["--write-replay-workload", var kind, var frames, var connections, var path])
        {
            Pipeline.ReplayWorkload.Write(kind, int.Parse(frames, System.Globalization.CultureInfo.InvariantCulture), int.Parse(connections, System.Globalization.CultureInfo.InvariantCulture), path);
            return;
        }
        if (args is ["--fastpath-cpu-time", ..])
        {
            // --fastpath-cpu-time [NAME [ROUNDS]]: more rounds make a longer run for a profiler.
            Console.Write(Pipeline.FastPathCpuTimeHarness.Run(
                rounds: args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100,
                only: args.Length > 1 ? args[1] : null));
            return;
        }
        if (args is ["--journey-cpu-time", var capture, ..])
        {
            Console.Write(Pipeline.JourneyCpuTimeHarness.Run(capture, args.Length > 2 ? args[2] : "antrea-gw0",
                args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5,
                args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 1));
            return;
        }
        if (args is ["--prepared-cpu-time", ..])
        {
            Console.Write(Pipeline.PreparedBatchBenchmarks.RunCpuTime(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : null));
            return;
        }
        if (args is ["--pipeline-cpu-time"])
        {
            Console.Write(Pipeline.PipelineCpuTimeHarness.Run());
            return;
        }
#if DEBUG
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new DebugInProcessConfig());
#else
        // Two shared cores build the generated project slowly: give it ten minutes, not BDN's default two.
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10)));
#endif
    }
}
