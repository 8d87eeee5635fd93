using System.Globalization;
using Datapath.Packets;

namespace Datapath.Antrea.Compile;

/// <summary>A Service endpoint as AntreaProxy loads it: its address (text, and the value reg3 takes) and port (reg4[0..15]).</summary>
internal readonly record struct AntreaV2Endpoint(string Ip, uint Address, int Port)
{
    /// <summary>An endpoint from its <c>IP:PORT</c> text.</summary>
    public static AntreaV2Endpoint Parse(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        string ip = endpoint[..colon];
        return new AntreaV2Endpoint(ip, Ipv4Address.Parse(ip).Value, int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>The addresses of endpoints local to <paramref name="node"/> (IsLocal): its pods' and, for hostNetwork, its own.</summary>
    public static HashSet<string> LocalTo(NodeModel node) => node.Pods.Select(p => p.Ip).Append(node.NodeIp).ToHashSet(StringComparer.Ordinal);
}
