namespace Datapath.Antrea.Compile;

/// <summary>
/// Ready endpoints of a Service as an Endpoints subset or an EndpointSlice lists them: addresses that serve the
/// same ports (name, protocol, number).
/// </summary>
public sealed record KubeEndpointSet(string Namespace, string ServiceName, List<string> Addresses, List<KubeContainerPort> Ports)
{
    public KubeSource? Source { get; init; }
}
