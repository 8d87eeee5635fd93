using System.Net.Sockets;

namespace Datapath.Live;

/// <summary>
/// The daemon's control socket: a Unix domain stream socket (mode 0600, so only its owner may
/// change the flows) that serves one <see cref="ControlProtocol"/> request per connection. Each
/// connection is served asynchronously (an idle client holds no thread); a malformed, oversized or
/// invalid-UTF-8 request gets an error reply, a client that goes away is logged, and the server
/// goes on. Dispose closes the socket and removes its file.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Func<string[], ControlReply> _handler;
    private readonly Action<string> _log;
    private readonly Thread _acceptThread;
    private volatile bool _disposed;

    private ControlServer(string path, Socket listener, Func<string[], ControlReply> handler, Action<string> log)
    {
        Path = path;
        _listener = listener;
        _handler = handler;
        _log = log;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "control " + path };
    }

    public string Path { get; }

    /// <summary>Binds <paramref name="path"/> (removing a stale socket file no daemon answers on) and starts serving.</summary>
    /// <exception cref="IOException">Another daemon answers on the path, or it cannot be bound (the message says why).</exception>
    public static ControlServer Start(string path, Func<string[], ControlReply> handler, Action<string> log)
    {
        if (File.Exists(path))
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new IOException($"control socket {path} is in use by a running daemon (stop it, or choose another 'control' path)");
            }
            catch (SocketException)
            {
                File.Delete(path); // stale: left by a daemon that was killed
            }
        }
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        // Bound, restricted and listening under a temporary name, then renamed: a client that sees the
        // file can connect at once, and nobody else ever could.
        string temporary = path + ".new-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            File.Delete(temporary);
            listener.Bind(new UnixDomainSocketEndPoint(temporary));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
            File.Move(temporary, path, overwrite: false);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            listener.Dispose();
            File.Delete(temporary);
            throw new IOException($"cannot create control socket {path}: {e.Message}", e);
        }
        var server = new ControlServer(path, listener, handler, log);
        server._acceptThread.Start();
        return server;
    }

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_disposed)
                    return;
                _log($"control socket {Path}: accept failed: {e.Message}");
                Thread.Sleep(100);
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    /// <summary>
    /// One connection: reads its request line without holding a thread while the client is idle (an idle or
    /// half-closed client costs a socket and a timer, not a thread), answers, closes. Never throws: whatever a
    /// client sends or does, the daemon goes on.
    /// </summary>
    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                using var timeout = new CancellationTokenSource(RequestTimeout);
                byte[] buffer = new byte[4096];
                int length = 0;
                int newline = -1;
                while (newline < 0)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= ControlProtocol.MaxRequestBytes)
                        {
                            await ReplyAsync(client, ControlReply.Error($"request longer than {ControlProtocol.MaxRequestBytes} bytes"), timeout.Token).ConfigureAwait(false);
                            return;
                        }
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                    int n = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (n == 0)
                        break;
                    int at = Array.IndexOf(buffer, (byte)'\n', length, n);
                    length += n;
                    newline = at;
                }
                ControlReply reply = ControlProtocol.TryDecodeRequest(buffer.AsSpan(0, newline < 0 ? length : newline), out var args, out var error)
                    ? Handle(args)
                    : ControlReply.Error("malformed request: " + error);
                await ReplyAsync(client, reply, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _log($"control socket {Path}: a client sent no request within {RequestTimeout.TotalSeconds:F0} s; closed");
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                _log($"control socket {Path}: client went away: {e.Message}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log($"control socket {Path}: request failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>How long a client may take to send its request line and read the answer.</summary>
    internal static TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    private ControlReply Handle(string[] args)
    {
        try
        {
            return _handler(args);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log($"control command '{string.Join(' ', args)}' failed: {e}");
            return new ControlReply(ControlReply.StatusFailed, $"error: {e.GetType().Name}: {e.Message}\n");
        }
    }

    private static async Task ReplyAsync(Socket client, ControlReply reply, CancellationToken cancel)
    {
        await client.SendAsync(ControlProtocol.EncodeReply(reply), SocketFlags.None, cancel).ConfigureAwait(false);
        client.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _listener.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
        _acceptThread.Join(TimeSpan.FromSeconds(2));
    }
}
