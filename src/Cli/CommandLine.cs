using System.CommandLine;
using System.Reflection;

namespace Datapath.Cli;

/// <summary>The `datapath` command tree (DESIGN.md's command-line contract).</summary>
internal static class CommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Datapath: a userspace packet datapath running Antrea's OVS pipeline and kube-proxy's iptables on real frames");
        var commands = typeof(CommandLine).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Order);
        foreach (var c in commands)
            root.Subcommands.Add(c.Create());
        return root;
    }

    public static int Run(string[] args) => Build().Parse(args).Invoke();
}
