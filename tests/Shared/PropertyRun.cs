using System.Diagnostics;
using CsCheck;

namespace Datapath.Tests.Shared;

/// <summary>
/// Runs a property over generated cases, the same way in every test project: in CI over a fixed set of
/// seeds (0 .. cases-1, on a stream named after the property), so a run is reproducible and its time is
/// known; under <c>scripts/fuzz.sh SECONDS</c> (<c>DATAPATH_FUZZ_SECONDS</c>) over new random seeds for
/// that long; with <c>DATAPATH_FUZZ_SEED=N</c> over that one seed; with <c>DATAPATH_FUZZ_ALL=1</c> every failure of the fixed set is reported, not only the first. A failure names the property, the seed
/// to replay and the case. CsCheck's generators make the cases.
/// </summary>
public static class PropertyRun
{
    /// <summary>Tests that run properties carry this trait, so scripts/fuzz.sh can select them.</summary>
    public const string Trait = "Property";

    /// <summary><c>DATAPATH_FUZZ_ALL=1</c>: run every fixed seed and report all failures, not the first.</summary>
    private static bool CollectAll => Environment.GetEnvironmentVariable("DATAPATH_FUZZ_ALL") is "1";

    public static void Check<T>(string property, Gen<T> gen, Action<T> assert, int cases, Func<T, string>? print = null)
    {
        uint stream = Stream(property);
        if (ulong.TryParse(Environment.GetEnvironmentVariable("DATAPATH_FUZZ_SEED"), out ulong only))
        {
            One(property, gen, assert, print, stream, only);
            return;
        }
        if (double.TryParse(Environment.GetEnvironmentVariable("DATAPATH_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0)
        {
            var clock = Stopwatch.StartNew();
            long n = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                One(property, gen, assert, print, stream, (ulong)Random.Shared.NextInt64());
                n++;
            }
            Console.WriteLine($"{property}: {n} cases in {clock.Elapsed.TotalSeconds:F0} s, no failure");
            return;
        }
        var failures = new List<Exception>();
        for (int seed = 0; seed < cases; seed++)
        {
            try
            {
                One(property, gen, assert, print, stream, (ulong)seed);
            }
            catch (PropertyFailedException e) when (CollectAll)
            {
                failures.Add(e);
            }
        }
        if (failures.Count > 0)
            throw new AggregateException(failures);
    }

    private static void One<T>(string property, Gen<T> gen, Action<T> assert, Func<T, string>? print, uint stream, ulong seed)
    {
        T value = gen.Generate(new PCG(stream, seed), null, out _);
        try
        {
            assert(value);
        }
        catch (Exception e)
        {
            string shown = print is null ? $"{value}" : print(value);
            throw new PropertyFailedException($"{property} fails for seed {seed} (replay: DATAPATH_FUZZ_SEED={seed}): {shown}", e);
        }
    }

    /// <summary>FNV-1a of the name: the same stream on every machine and run.</summary>
    private static uint Stream(string name)
    {
        uint h = 2166136261;
        foreach (char c in name)
            h = (h ^ c) * 16777619;
        return h;
    }
}
