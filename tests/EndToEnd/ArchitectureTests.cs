using System.Reflection;

namespace Datapath.EndToEnd.Tests;

/// <summary>DESIGN.md's table "Projects (src/) and who may use whom", checked on the built assemblies.</summary>
public class ArchitectureTests
{
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["Datapath.Packets"] = [],
        ["Datapath.Classifier"] = ["Datapath.Packets"],
        ["Datapath.Conntrack"] = ["Datapath.Packets"],
        ["Datapath.Geneve"] = ["Datapath.Packets"],
        ["Datapath.Netfilter"] = ["Datapath.Packets", "Datapath.Conntrack"],
        ["Datapath.Io"] = ["Datapath.Packets"],
        ["Datapath.Engine"] = ["Datapath.Packets", "Datapath.Classifier", "Datapath.Conntrack", "Datapath.Geneve", "Datapath.Netfilter"],
        ["Datapath.Antrea"] = ["Datapath.Packets", "Datapath.Classifier", "Datapath.Conntrack", "Datapath.Geneve", "Datapath.Netfilter", "Datapath.Engine"],
        ["Datapath.Live"] = ["Datapath.Packets", "Datapath.Classifier", "Datapath.Conntrack", "Datapath.Geneve", "Datapath.Netfilter", "Datapath.Engine", "Datapath.Antrea", "Datapath.Io"],
        ["datapath"] = ["Datapath.Packets", "Datapath.Classifier", "Datapath.Conntrack", "Datapath.Geneve", "Datapath.Netfilter", "Datapath.Engine", "Datapath.Antrea", "Datapath.Io", "Datapath.Live"],
    };

    /// <summary>The command line and console libraries: only the CLI (a shell over the other projects) may use them.</summary>
    private static readonly string[] s_presentation = ["System.CommandLine", "Spectre.Console"];

    public static TheoryData<string> Assemblies => new(s_allowed.Keys);

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void References_follow_the_design_table(string assemblyName)
    {
        var asm = Assembly.Load(assemblyName);
        var ours = asm.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Datapath.", StringComparison.Ordinal) || n == "datapath")
            .ToArray();
        var forbidden = ours.Except(s_allowed[assemblyName]).ToArray();
        Assert.True(forbidden.Length == 0, $"{assemblyName} references {string.Join(", ", forbidden)}, which DESIGN.md does not allow");
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Only_the_cli_uses_the_command_line_and_console_libraries(string assemblyName)
    {
        if (assemblyName == "datapath")
        {
            // The check below looks at the right names: the CLI does reference them.
            Assert.Superset(s_presentation.ToHashSet(), Assembly.Load(assemblyName).GetReferencedAssemblies().Select(a => a.Name!).ToHashSet());
            return;
        }
        var used = Assembly.Load(assemblyName).GetReferencedAssemblies().Select(a => a.Name!).Intersect(s_presentation).ToArray();
        Assert.True(used.Length == 0, $"{assemblyName} references {string.Join(", ", used)}; only the CLI may (docs/architecture.md)");
    }

    /// <summary>
    /// Assemblies besides Io that may be compiled with unsafe code, and the only use they may make of
    /// it (docs/architecture.md, "Changes from the original design"): software prefetch hints
    /// (Sse.Prefetch0 takes a pointer) and [SkipLocalsInit] on a lookup's stack buffers.
    /// </summary>
    private static readonly string[] s_hotPathUnsafe = ["Datapath.Classifier", "Datapath.Conntrack", "Datapath.Netfilter"];

    [Fact]
    public void Unsafe_code_is_confined_to_Io_and_hot_path_hints()
    {
        foreach (var name in s_allowed.Keys.Where(n => n != "Datapath.Io" && !s_hotPathUnsafe.Contains(n)))
        {
            var asm = Assembly.Load(name);
            bool unverifiable = asm.GetCustomAttributes<System.Security.UnverifiableCodeAttribute>().Any()
                || asm.Modules.Any(m => m.GetCustomAttributes<System.Security.UnverifiableCodeAttribute>().Any());
            Assert.False(unverifiable, $"{name} is compiled with unsafe code; only src/Io and the hot-path hints may be (docs/architecture.md)");
        }

        // In the hot-path assemblies, every unsafe member is a prefetch hint.
        string root = RepoRoot();
        foreach (var name in s_hotPathUnsafe)
        {
            string dir = Path.Combine(root, "src", name["Datapath.".Length..]);
            foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
            {
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    string code = lines[i].Split("//")[0];
                    if (System.Text.RegularExpressions.Regex.IsMatch(code, @"\bunsafe\b") && !code.Contains("Prefetch", StringComparison.Ordinal))
                        Assert.Fail($"{Path.GetRelativePath(root, file)}:{i + 1}: unsafe outside a Prefetch method: {lines[i].Trim()}");
                }
            }
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Datapath.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Datapath.sln not found above " + AppContext.BaseDirectory);
    }
}
