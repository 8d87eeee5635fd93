namespace Datapath.Cli.Tests.Bench;

/// <summary>
/// A fact that runs the real <c>ovstest</c> (OVS 3.1 from Debian's source): $OVSTEST, or the binary that
/// scripts/build-ovstest.sh caches. Building it takes about ten minutes, so the tests never build it:
/// they skip, saying how to, where it is not built.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class OvsTestFactAttribute : FactAttribute
{
    public OvsTestFactAttribute()
    {
        if (Path is null)
            Skip = "ovstest is not built: run scripts/build-ovstest.sh (about 10 minutes; it caches the binary under ~/.cache/datapath/ovstest) or set OVSTEST";
    }

    /// <summary>The ovstest binary, or null.</summary>
    public static string? Path
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("OVSTEST");
            if (!string.IsNullOrEmpty(env))
                return File.Exists(env) ? env : null;
            string cache = Environment.GetEnvironmentVariable("OVSTEST_CACHE") is { Length: > 0 } c
                ? c
                : System.IO.Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
                    ? x
                    : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "datapath", "ovstest");
            string bin = System.IO.Path.Combine(cache, "ovstest");
            return File.Exists(bin) ? bin : null;
        }
    }
}
