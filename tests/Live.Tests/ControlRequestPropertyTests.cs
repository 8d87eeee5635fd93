using CsCheck;
using Datapath.Tests.Shared;

namespace Datapath.Live.Tests;

/// <summary>
/// Hostile requests on the control socket: valid requests (`ctl`'s JSON array of words) with bytes flipped,
/// cut or appended, and raw random bytes, each on its own connection. The server answers every one with a
/// status line (or closes a request it cannot read as one) and answers the next real command at once.
/// </summary>
public sealed class ControlRequestPropertyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-ctl-fuzz-").FullName;
    private readonly ControlServer _server;

    public ControlRequestPropertyTests()
    {
        _server = ControlServer.Start(Path.Combine(_dir, "ctl.sock"), args => new ControlReply(0, $"ok {string.Join(' ', args)}\n"), _ => { });
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static readonly byte[][] Valid =
    [
        ControlProtocol.EncodeRequest(["stats"]),
        ControlProtocol.EncodeRequest(["dump-flows", "table=90"]),
        ControlProtocol.EncodeRequest(["add-flow", "table=10,priority=300,ip,nw_src=10.222.1.2 actions=drop"]),
        ControlProtocol.EncodeRequest(["trace", "tcp,nw_src=10.222.1.48,tp_dst=80", "--in-port", "frontend-a3ba2f"]),
    ];

    private static readonly Gen<byte[]> ARequest = Gen.OneOf(
        Gen.Byte.Array[0, 64],
        Gen.Select(Gen.Int[0, Valid.Length - 1], Gen.Int[0, 2], Gen.Double[0, 0.999], Gen.Byte.Array[1, 8], (v, kind, where, bytes) =>
        {
            byte[] r = (byte[])Valid[v].Clone();
            int at = (int)(where * r.Length);
            return kind switch
            {
                0 => [.. r[..at], .. bytes, .. r[at..]],
                1 => r[..at],
                _ => r.Select((b, i) => i == at ? (byte)(b ^ bytes[0]) : b).ToArray(),
            };
        }));

    [Fact]
    [Trait("Category", PropertyRun.Trait)]
    public void A_hostile_request_is_answered_and_the_next_command_is_too()
    {
        PropertyRun.Check(nameof(A_hostile_request_is_answered_and_the_next_command_is_too), ARequest, request =>
        {
            string answer = ControlServerTests.SendRaw(_server.Path, request);

            Assert.Matches("^status [0-2]\n", answer);
            Assert.Equal(new ControlReply(0, "ok stats\n"), ControlClient.Send(_server.Path, ["stats"]));
        }, cases: 200, print: Convert.ToHexString);
    }
}
