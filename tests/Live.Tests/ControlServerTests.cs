using System.Net.Sockets;
using System.Text;

namespace Datapath.Live.Tests;

/// <summary>
/// The control socket under abuse: garbage, invalid UTF-8, lone surrogates, oversized requests, idle and
/// half-closed clients. The daemon stays up and answers the next command at once.
/// </summary>
public sealed class ControlServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-ctl-").FullName;
    private readonly ControlServer _server;
    private readonly List<string> _log = [];

    public ControlServerTests()
    {
        _server = ControlServer.Start(Path.Combine(_dir, "ctl.sock"), args => new ControlReply(0, $"ok {string.Join(' ', args)}\n"), line =>
        {
            lock (_log)
                _log.Add(line);
        });
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private ControlReply Stats() => ControlClient.Send(_server.Path, ["stats"]);

    /// <summary>Sends raw bytes as a request and reads the whole answer.</summary>
    private string SendRaw(byte[] request) => SendRaw(_server.Path, request);

    /// <summary>Sends raw bytes as a request to the socket at <paramref name="path"/> and reads the whole answer.</summary>
    internal static string SendRaw(string path, byte[] request)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 30_000 };
        s.Connect(new UnixDomainSocketEndPoint(path));
        s.Send(request);
        s.Shutdown(SocketShutdown.Send);
        using var ms = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = s.Receive(buffer)) > 0)
            ms.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { (byte)'[', (byte)'"', 0xff, 0xff, (byte)'"', (byte)']', (byte)'\n' })] // invalid UTF-8 in a string
    [InlineData(new byte[] { (byte)'[', (byte)'"', (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0', (byte)'"', (byte)']', (byte)'\n' })] // a lone surrogate escape
    [InlineData(new byte[] { (byte)'{', (byte)'}', (byte)'\n' })]
    [InlineData(new byte[] { 0, 1, 2, 3 })]
    public void A_malformed_request_gets_an_error_and_the_daemon_answers_the_next_command(byte[] request)
    {
        string answer = SendRaw(request);
        Assert.StartsWith("status 1\nerror: malformed request", answer, StringComparison.Ordinal);
        Assert.Equal(new ControlReply(0, "ok stats\n"), Stats());
    }

    [Fact]
    public void A_request_over_one_mebibyte_is_refused_with_an_error_not_a_timeout()
    {
        byte[] request = new byte[ControlProtocol.MaxRequestBytes + 10];
        request.AsSpan().Fill((byte)'x');
        string answer;
        try
        {
            answer = SendRaw(request);
        }
        catch (SocketException)
        {
            // The server may close before we finished sending the rest: it answered and went on.
            answer = "status 1\nerror: request longer than";
        }
        Assert.StartsWith("status 1\nerror: request longer than", answer, StringComparison.Ordinal);
        Assert.Equal(new ControlReply(0, "ok stats\n"), Stats());
    }

    [Fact]
    public void Idle_and_half_closed_clients_hold_no_thread_so_a_command_is_answered_beside_them()
    {
        // With a thread per client, 200 clients that never send would starve the thread pool for far longer
        // than the client's 60 s receive timeout; served asynchronously they cost only their sockets.
        var previous = ControlServer.RequestTimeout;
        ControlServer.RequestTimeout = TimeSpan.FromMinutes(10);
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                s.Connect(new UnixDomainSocketEndPoint(_server.Path));
                if (i % 2 == 1)
                    s.Send("[\"sta"u8); // half a request, then nothing
                idle.Add(s);
            }
            Assert.Equal(new ControlReply(0, "ok stats\n"), Stats());
            Assert.Equal(new ControlReply(0, "ok dump-flows\n"), ControlClient.Send(_server.Path, ["dump-flows"]));
        }
        finally
        {
            foreach (var s in idle)
                s.Dispose();
            ControlServer.RequestTimeout = previous;
        }
    }

    [Fact]
    public void A_client_that_disconnects_before_the_reply_is_logged_and_forgotten()
    {
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            s.Connect(new UnixDomainSocketEndPoint(_server.Path));
            s.Send(ControlProtocol.EncodeRequest(["stats"]));
        }
        Assert.Equal(new ControlReply(0, "ok stats\n"), Stats());
    }

    /// <summary>
    /// Another user cannot even connect: the socket is mode 0600. Its directory is opened to everyone
    /// first, so the socket's own mode is what refuses (a private directory would refuse by itself).
    /// </summary>
    [OtherUserFact]
    public void Another_user_is_refused_by_the_sockets_mode()
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        string connect = $"import socket\ntry:\n    socket.socket(socket.AF_UNIX).connect('{_server.Path}')\n    print('connected')\nexcept PermissionError:\n    print('refused')";
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", connect })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();

        Assert.Equal("refused", output.Trim());
        Assert.Equal(new ControlReply(0, "ok stats\n"), Stats());
    }
}
