namespace Datapath.Io.Tests.Live;

/// <summary>
/// A fresh network namespace plus the links a test made; everything is removed on Dispose, even
/// when the test failed. Names are unique per test so parallel runs never collide.
/// </summary>
internal sealed class TestNetwork : IDisposable
{
    public const string NamespaceAddress = "10.77.0.1";
    public const string PeerAddress = "10.77.0.2";

    private readonly List<string> _hostLinks = [];

    public TestNetwork()
    {
        string id = Guid.NewGuid().ToString("N")[..6];
        Id = id;
        Namespace = "dpt-" + id;
        Shell.Check("ip", "netns", "add", Namespace);
    }

    public string Id { get; }

    public string Namespace { get; }

    /// <summary>A unique interface name: "dp" + id + suffix (at most 15 bytes).</summary>
    public string LinkName(string suffix) => "dp" + Id + suffix;

    /// <summary>Makes a veth pair; the inner end goes into the namespace, configured with 10.77.0.1/24.
    /// Returns (host end, namespace end); the host end is up and has no address.</summary>
    public (string Host, string Inner) AddVeth()
    {
        string host = LinkName("h");
        string inner = LinkName("n");
        Shell.Check("ip", "link", "add", host, "type", "veth", "peer", "name", inner);
        _hostLinks.Add(host);
        Shell.Check("ip", "link", "set", "dev", inner, "netns", Namespace);
        Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{host}.disable_ipv6=1");
        Shell.Check("ip", "link", "set", "dev", host, "up");
        ConfigureInner(inner);
        return (host, inner);
    }

    /// <summary>Makes a veth pair with both ends in our own namespace, up, IPv6 off and no addresses
    /// (so nothing but the test's frames crosses it), with an optional MTU. Returns (a, b).</summary>
    public (string A, string B) AddPair(int? mtu = null)
    {
        string a = LinkName("a");
        string b = LinkName("b");
        Shell.Check("ip", "link", "add", a, "type", "veth", "peer", "name", b);
        _hostLinks.Add(a);
        foreach (string end in new[] { a, b })
        {
            Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{end}.disable_ipv6=1");
            if (mtu is int m)
            {
                Shell.Check("ip", "link", "set", "dev", end, "mtu", m.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            Shell.Check("ip", "link", "set", "dev", end, "up");
        }

        // Until linkwatch has seen the carrier (operstate up) the qdisc is noop and drops what we send.
        for (int i = 0; i < 100 && !(IsOperUp(a) && IsOperUp(b)); i++)
        {
            Thread.Sleep(50);
        }

        return (a, b);
    }

    private static bool IsOperUp(string link) =>
        File.ReadAllText($"/sys/class/net/{link}/operstate").Trim() == "up";

    /// <summary>Moves a host interface (a TAP we hold) into the namespace and configures it.</summary>
    public void MoveIn(string link)
    {
        Shell.Check("ip", "link", "set", "dev", link, "netns", Namespace);
        ConfigureInner(link);
    }

    public void ConfigureInner(string link)
    {
        Exec("sysctl", "-qw", $"net.ipv6.conf.{link}.disable_ipv6=1");
        ExecCheck("ip", "link", "set", "dev", "lo", "up");
        ExecCheck("ip", "addr", "add", NamespaceAddress + "/24", "dev", link);
        ExecCheck("ip", "link", "set", "dev", link, "up");
    }

    public (int Exit, string Out, string Err) Exec(params string[] command) =>
        Shell.Run("ip", ["netns", "exec", Namespace, .. command]);

    public string ExecCheck(params string[] command) =>
        Shell.Check("ip", ["netns", "exec", Namespace, .. command]);

    /// <summary>The MAC address of a link inside the namespace.</summary>
    public string InnerMac(string link) =>
        ExecCheck("cat", $"/sys/class/net/{link}/address").Trim();

    public long InnerCounter(string link, string counter) =>
        long.Parse(ExecCheck("cat", $"/sys/class/net/{link}/statistics/{counter}").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (string link in _hostLinks)
        {
            Shell.Run("ip", "link", "del", "dev", link);
        }

        Shell.Run("ip", "netns", "del", Namespace);
    }
}
