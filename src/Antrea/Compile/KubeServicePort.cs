using System.Globalization;

namespace Datapath.Antrea.Compile;

/// <summary>
/// One port of a Kubernetes Service as kube-proxy programs it: its ServicePortName (<c>namespace/name:port</c>, the
/// port's name empty for an unnamed port), protocol, ClusterIP and port, NodePort (0: none), and its ready endpoints
/// as <c>IP:PORT</c>; its Service's ClientIP session affinity (the timeout in seconds, 0: none) and whether its
/// externalTrafficPolicy is Local.
/// </summary>
public sealed record KubeServicePort(string Namespace, string Name, string PortName, string Protocol, string ClusterIp, int Port, int NodePort, IReadOnlyList<string> Endpoints)
{
    /// <summary>sessionAffinity ClientIP's timeoutSeconds (kube-proxy's StickyMaxAgeSeconds); 0: no affinity.</summary>
    public int AffinitySeconds { get; init; }

    /// <summary>externalTrafficPolicy: Local (NodePort traffic goes to the node's own endpoints only).</summary>
    public bool ExternalLocal { get; init; }

    /// <summary>kube-proxy's ServicePortName.String(): <c>namespace/name:portname</c> (the colon stays for an unnamed port).</summary>
    public string ServicePortName => $"{Namespace}/{Name}:{PortName}";

    /// <summary>The protocol as iptables spells it (tcp, udp, sctp).</summary>
    public string IptablesProtocol => Protocol.ToLowerInvariant();

    /// <summary>
    /// A port from a scenario's <c>services:</c> entry (<c>name: NAMESPACE/NAME[:PORTNAME]</c>, clusterIP, port,
    /// nodePort, protocol, endpoints).
    /// </summary>
    public static KubeServicePort From(ServiceModel service)
    {
        ArgumentNullException.ThrowIfNull(service);
        string name = service.Name;
        int slash = name.IndexOf('/', StringComparison.Ordinal);
        string ns = slash < 0 ? "default" : name[..slash];
        string rest = slash < 0 ? name : name[(slash + 1)..];
        int colon = rest.IndexOf(':', StringComparison.Ordinal);
        return new KubeServicePort(ns, colon < 0 ? rest : rest[..colon], colon < 0 ? "" : rest[(colon + 1)..],
            service.Protocol, service.ClusterIp, service.Port, service.NodePort, service.Endpoints);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ServicePortName} {ClusterIp}:{Port}/{IptablesProtocol}");
}
