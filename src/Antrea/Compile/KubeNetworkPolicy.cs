namespace Datapath.Antrea.Compile;

/// <summary>A NetworkPolicy: the pods it applies to, whether it isolates ingress and egress, and its rules.</summary>
public sealed record KubeNetworkPolicy(string Namespace, string Name, Dictionary<string, string> PodSelector, bool Ingress, bool Egress, List<KubePolicyRule> IngressRules, List<KubePolicyRule> EgressRules)
{
    public KubeSource? Source { get; init; }
}
