using System.Collections.Concurrent;
using Datapath.Io.Live;

namespace Datapath.Io.Tests.Live;

/// <summary>
/// Plays the host 10.77.0.2 behind a live port: answers ARP requests and ICMP echo requests for it
/// and keeps a copy of every frame received, so a test can ping it from the namespace.
/// </summary>
internal sealed class Responder
{
    private readonly uint _ip = TestFrames.Ip(TestNetwork.PeerAddress);

    public ConcurrentQueue<byte[]> Received { get; } = new();

    public int ArpRequests;
    public int EchoRequests;
    public int Sent;

    public void OnBatch(ILivePort port, FrameBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            Span<byte> f = batch[i];
            Received.Enqueue(f.ToArray());
            if (TestFrames.IsArpRequestFor(f, _ip))
            {
                Interlocked.Increment(ref ArpRequests);
                if (port.Send(TestFrames.ArpReply(f)))
                {
                    Interlocked.Increment(ref Sent);
                }
            }
            else if (TestFrames.IsEchoRequestTo(f, _ip))
            {
                Interlocked.Increment(ref EchoRequests);
                if (port.Send(TestFrames.EchoReply(f)))
                {
                    Interlocked.Increment(ref Sent);
                }
            }
        }
    }
}
