namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>A fact that needs root (it makes interfaces and network namespaces); skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class RootFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> s_root = new(() => Environment.UserName == "root" || File.ReadAllText("/proc/self/status").Contains("\nUid:\t0\t", StringComparison.Ordinal));

    public override string Skip
    {
        get => base.Skip ?? (s_root.Value ? null : "needs root (creates a veth pair and a network namespace)")!;
        set => base.Skip = value;
    }
}
