using System.Text;

namespace Datapath.Live.Tests;

/// <summary>The control socket's wire format, both ends: what the server writes the client reads back.</summary>
public sealed class ControlProtocolTests
{
    [Fact]
    public void ARequestIsOneJsonLineTheServerDecodes()
    {
        byte[] line = ControlProtocol.EncodeRequest(["add-flow", "table=0,priority=10,actions=drop", "--strict"]);
        Assert.Equal((byte)'\n', line[^1]);
        Assert.True(ControlProtocol.TryDecodeRequest(line.AsSpan(0, line.Length - 1), out var args, out var error), error);
        Assert.Equal(["add-flow", "table=0,priority=10,actions=drop", "--strict"], args);
    }

    [Theory]
    [InlineData(0, "flows\n")]
    [InlineData(1, "error: unknown command 'x' (try 'help')\n")]
    [InlineData(2, "")]
    public void AReplyRoundTrips(int status, string output)
    {
        string text = Encoding.UTF8.GetString(ControlProtocol.EncodeReply(new ControlReply(status, output)));
        Assert.True(ControlProtocol.TryDecodeReply(text, out var reply));
        Assert.Equal(new ControlReply(status, output), reply);
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP/1.1 200 OK\r\n")]
    [InlineData("status \n")]
    [InlineData("status 0")]
    public void AnythingElseIsNoReply(string text) => Assert.False(ControlProtocol.TryDecodeReply(text, out _));
}
