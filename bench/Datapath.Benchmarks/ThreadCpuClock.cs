using System.Runtime.InteropServices;

namespace Datapath.Benchmarks;

/// <summary>
/// The calling thread's CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID)): what the CPU-time
/// harnesses divide by, so that other processes' load on the shared cores does not inflate a figure
/// (cache and frequency effects remain). One copy for every harness in bench/.
/// </summary>
internal static class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    /// <summary>Nanoseconds of CPU this thread has used.</summary>
    public static long Nanoseconds()
    {
        _ = ClockGetTime(ClockThreadCpuTimeId, out Timespec t);
        return (t.Seconds * 1_000_000_000) + t.Nanoseconds;
    }
}
