using System.Globalization;

namespace Datapath.Netfilter;

/// <summary>
/// Port numbers as iptables and ipset read them: a decimal 0-65535 or a service name from
/// <c>/etc/services</c>. The names are the ones Kubernetes and Antrea rule sets use, fixed here so a
/// file loads the same on every host (the product reads no host files).
/// </summary>
internal static class ServicePorts
{
    public static bool TryParse(string text, out ushort port)
    {
        if (ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port))
            return true;
        port = text switch
        {
            "http" or "www" => 80,
            "https" => 443,
            "domain" => 53,
            "ssh" => 22,
            "ftp" => 21,
            "smtp" => 25,
            "ntp" => 123,
            "bootps" => 67,
            "bootpc" => 68,
            _ => 0,
        };
        return port != 0;
    }

    /// <summary>The service name of a port as getservbyport gives it for <paramref name="protocol"/> (the names
    /// <see cref="TryParse"/> reads), for listings without -n.</summary>
    public static bool TryGetName(ushort port, string protocol, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        name = (port, protocol) switch
        {
            (80, _) => "http",
            (443, _) => "https",
            (53, _) => "domain",
            (22, _) => "ssh",
            (21, "tcp") => "ftp",
            (25, "tcp") => "smtp",
            (123, "udp") => "ntp",
            (67, "udp") => "bootps",
            (68, "udp") => "bootpc",
            _ => null,
        };
        return name is not null;
    }

}
