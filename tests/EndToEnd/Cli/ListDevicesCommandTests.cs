using System.Text.Json;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>`datapath list-devices`: what libpcap sees, as text and as JSON lines.</summary>
public sealed class ListDevicesCommandTests
{
    [Fact]
    public void Loopback_is_listed_up_and_loopback_with_its_address()
    {
        var (code, stdout, stderr) = CliRunner.Run("list-devices");

        Assert.True(code == 0, stderr);
        string lo = Assert.Single(stdout.Split('\n'), l => l.StartsWith("lo ", StringComparison.Ordinal));
        Assert.Contains("loopback", lo, StringComparison.Ordinal);
        Assert.Contains("up", lo, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1/8", lo, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_has_one_object_per_interface()
    {
        var (code, stdout, stderr) = CliRunner.Run("list-devices", "--json");

        Assert.True(code == 0, stderr);
        var devices = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var lo = Assert.Single(devices, d => d.GetProperty("name").GetString() == "lo");
        Assert.Contains("loopback", lo.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("127.0.0.1/8", lo.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("00:00:00:00:00:00", lo.GetProperty("mac").GetString());
    }

    [RootFact]
    public void A_veth_whose_peer_is_in_a_private_namespace_is_listed()
    {
        string id = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string ns = "dpld" + id;
        string host = "dpld" + id + "h";
        try
        {
            Check("ip", "netns", "add", ns);
            Check("ip", "link", "add", host, "type", "veth", "peer", "name", "dpld" + id + "n", "netns", ns);
            Check("ip", "addr", "add", "10.78.0.1/30", "dev", host);
            Check("ip", "link", "set", "dev", host, "up");

            var (code, stdout, stderr) = CliRunner.Run("list-devices");

            Assert.True(code == 0, stderr);
            string line = Assert.Single(stdout.Split('\n'), l => l.StartsWith(host + " ", StringComparison.Ordinal));
            Assert.Contains("10.78.0.1/30", line, StringComparison.Ordinal);
            Assert.Contains("up", line, StringComparison.Ordinal);
            Assert.DoesNotContain("loopback", line, StringComparison.Ordinal);
        }
        finally
        {
            Run("ip", "link", "del", host);
            Run("ip", "netns", "del", ns);
        }
    }

    private static void Check(params string[] command) => ExternalTools.Run(command[0], command[1..]);

    private static void Run(params string[] command)
    {
        try
        {
            Check(command);
        }
        catch (InvalidOperationException)
        {
            // cleanup of what may not exist
        }
    }
}
