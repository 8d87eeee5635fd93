namespace Datapath.Antrea.Compile;

/// <summary>
/// What <see cref="ClusterCompiler"/> makes: the scenario's model (cluster.yaml, <see cref="ScenarioWriter"/> writes
/// it), the files it names (name → text: each node's flows and iptables, the ipsets) and what the compile decided
/// on the user's behalf (a pod scheduled, an address allocated, an object skipped), one line each.
/// </summary>
public sealed class CompiledScenario(ScenarioModel model, IReadOnlyDictionary<string, string> files, IReadOnlyList<string> notes)
{
    /// <summary>The Service ports the compile placed, in allocation order (AntreaProxy's group ids follow it).</summary>
    public IReadOnlyList<KubeServicePort> Ports { get; init; } = [];

    public ScenarioModel Model { get; } = model;
    public IReadOnlyDictionary<string, string> Files { get; } = files;
    public IReadOnlyList<string> Notes { get; } = notes;
}
