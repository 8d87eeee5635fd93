namespace Datapath.Netfilter.Tests;

/// <summary>Finds files of the repository from the test output directory (walks up to Datapath.sln).</summary>
internal static class RepoPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Datapath.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Datapath.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Scenario(string file) => Path.Combine(Root, "src", "Antrea", "Scenario", file);
}
