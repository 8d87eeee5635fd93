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
        ["datapath"] = ["Datapath.Packets", "Datapath.Classifier", "Datapath.Conntrack", "Datapath.Geneve", "Datapath.Netfilter", "Datapath.Engine", "Datapath.Antrea", "Datapath.Io"],
    };

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

    [Fact]
    public void Only_Io_uses_unsafe_code()
    {
        foreach (var name in s_allowed.Keys.Where(n => n != "Datapath.Io"))
        {
            var asm = Assembly.Load(name);
            bool unverifiable = asm.GetCustomAttributes<System.Security.UnverifiableCodeAttribute>().Any()
                || asm.Modules.Any(m => m.GetCustomAttributes<System.Security.UnverifiableCodeAttribute>().Any());
            Assert.False(unverifiable, $"{name} is compiled with unsafe code; only src/Io may be (DESIGN.md)");
        }
    }
}
