using System.Globalization;
using System.Net;

namespace Datapath.Live;

/// <summary>
/// Where <c>run --metrics</c> serves: <c>ADDR:PORT</c> with ADDR an IPv4 address, a host name, <c>[IPv6]</c>, or
/// <c>0.0.0.0</c> / <c>*</c> for every address (as node_exporter's <c>--web.listen-address</c> is written).
/// </summary>
public readonly record struct MetricsEndpoint(string Host, int Port)
{
    /// <summary>The host as an HttpListener prefix wants it: <c>+</c> for every address, IPv6 in brackets.</summary>
    internal string ListenerHost => Host is "0.0.0.0" or "*" or "::" ? "+" : Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host;

    /// <summary>The URL a scraper reads.</summary>
    public string Url => $"http://{(Host is "0.0.0.0" or "*" ? "127.0.0.1" : ListenerHost)}:{Port.ToString(CultureInfo.InvariantCulture)}/metrics";

    public override string ToString() => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The same endpoint <paramref name="offset"/> ports further (one per node of a lab).</summary>
    public MetricsEndpoint Plus(int offset) => this with { Port = Port + offset };

    /// <summary>Parses <c>ADDR:PORT</c>; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string text, out MetricsEndpoint endpoint, out string error)
    {
        endpoint = default;
        error = "";
        string host;
        string port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not [IPV6]:PORT";
                return false;
            }
            host = text[1..close];
            port = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var a) || a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' is not ADDR:PORT (e.g. 127.0.0.1:9464; IPv6 as [::1]:9464)";
                return false;
            }
            host = text[..colon];
            port = text[(colon + 1)..];
            if (host != "*" && Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                error = $"'{host}' is not an address or host name";
                return false;
            }
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
        {
            error = $"'{port}' is not a TCP port (1 to 65535)";
            return false;
        }
        endpoint = new MetricsEndpoint(host, p);
        return true;
    }
}
