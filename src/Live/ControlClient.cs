using System.Net.Sockets;
using System.Text;

namespace Datapath.Live;

/// <summary>
/// The client side of a node's control socket (<see cref="ControlProtocol"/>): connects, sends one
/// request, reads the whole answer. `datapath ctl` prints it; `datapath lab up` polls `stats` with it.
/// </summary>
public static class ControlClient
{
    /// <summary>Sends <paramref name="args"/> (a command and its arguments) to the daemon at <paramref name="path"/>.</summary>
    /// <exception cref="SocketException">No daemon answers on <paramref name="path"/> (or it went away).</exception>
    /// <exception cref="InvalidDataException">The answer is not a control reply (not a datapath control socket).</exception>
    public static ControlReply Send(string path, IReadOnlyList<string> args)
    {
        string reply;
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            s.ReceiveTimeout = 60_000;
            s.SendTimeout = 10_000;
            s.Connect(new UnixDomainSocketEndPoint(path));
            s.Send(ControlProtocol.EncodeRequest(args));
            s.Shutdown(SocketShutdown.Send);
            using var ms = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            while ((n = s.Receive(buffer)) > 0)
                ms.Write(buffer, 0, n);
            reply = Encoding.UTF8.GetString(ms.ToArray());
        }
        return ControlProtocol.TryDecodeReply(reply, out var decoded)
            ? decoded
            : throw new InvalidDataException($"{path}: the daemon's answer is not understood (is this a datapath control socket?)");
    }
}
