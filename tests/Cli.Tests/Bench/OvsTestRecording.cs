using System.Globalization;
using System.Text.RegularExpressions;

namespace Datapath.Cli.Tests.Bench;

/// <summary>
/// What a real <c>ovstest</c> printed, recorded in tests/Data/ovs-3.1/ovstest/ (README.md there says how):
/// one file per command line, named after it (<c>test-classifier-benchmark_1000_10_20_1_100000.txt</c>).
/// </summary>
internal static partial class OvsTestRecording
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Data", "ovs-3.1", "ovstest");

    /// <summary>The recorded output of <c>ovstest TEST benchmark ARGS</c>.</summary>
    public static string Read(string test, string args)
        => File.ReadAllText(Path.Combine(Directory, $"{test}-benchmark_{args.Replace(' ', '_')}.txt"));

    /// <summary>The (hits, misses) pairs of a test-classifier benchmark output, without wildcards first.</summary>
    public static List<(long Hits, long Misses)> HitsAndMisses(string output)
        => [.. HitsLine().Matches(output).Select(m => (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))];

    /// <summary>The output with its measured figures (milliseconds, rates) replaced by N (OVS's %5d padding included), for comparing shapes.</summary>
    public static string Shape(string output)
        => Measured().Replace(output, m => m.Groups["before"].Value + "N" + m.Groups["after"].Value);

    [GeneratedRegex(@"^hits: (\d+), misses: (\d+)$", RegexOptions.Multiline)]
    private static partial Regex HitsLine();

    [GeneratedRegex(@"(?<before>:  ) *\d+(?<after> ms)|(?<before>, )\d+(?<after> lookups/sec)")]
    private static partial Regex Measured();
}
