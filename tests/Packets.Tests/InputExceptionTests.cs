using Datapath.Packets;
using Xunit;

namespace Datapath.Packets.Tests;

public class InputExceptionTests
{
    [Fact]
    public void Text_errors_are_located_by_line_and_column()
    {
        var e = new InputException("flows.txt", 21, 36, "0/0: invalid IP address");
        Assert.Equal("flows.txt:21:36", e.Location);
        Assert.Equal("flows.txt:21:36: 0/0: invalid IP address", e.Message);
    }

    [Fact]
    public void Whole_line_whole_file_and_binary_locations()
    {
        Assert.Equal("node1.iptables:7", new InputException("node1.iptables", 7, 0, "x").Location);
        Assert.Equal("cluster.yaml", InputException.InFile("cluster.yaml", "file is empty").Location);
        Assert.Equal("in.pcap: offset 40", InputException.AtOffset("in.pcap", 40, "record cut short").Location);
    }

    [Fact]
    public void A_fragment_error_is_rebased_into_its_file()
    {
        // The action text "output:9x" starts at column 30 of line 4; the action parser saw column 8.
        var inner = new InputException("ACTIONS", 1, 8, "'9x' is not a port");
        var placed = inner.Within("flows.txt", 4, 30);
        Assert.Equal("flows.txt:4:37", placed.Location);
        Assert.Equal("'9x' is not a port", placed.What);

        var second = new InputException("YAML-BLOCK", 3, 5, "bad").Within("cluster.yaml", 10, 7);
        Assert.Equal("cluster.yaml:12:5", second.Location);
    }

    [Fact]
    public void A_hint_is_printed_below_the_message()
    {
        var e = new InputException("cluster.yaml", 3, 3, "unknown key 'flow'").WithHint("did you mean 'flows'?");
        Assert.Equal("cluster.yaml:3:3: unknown key 'flow'\nhint: did you mean 'flows'?", e.ToString());
    }
}
