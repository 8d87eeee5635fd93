namespace Datapath.Cli.Formatting;

/// <summary>
/// tcpdump's relative TCP sequence numbers (print-tcp.c's tcp_seq_hash): the first segment with ACK
/// of a conversation (or any SYN+ACK) records both directions' initial sequence numbers and prints
/// absolute numbers; later segments print seq and ack minus them.
/// </summary>
internal sealed class TcpSequenceTracker
{
    private readonly Dictionary<(UInt128 A, ushort PortA, UInt128 B, ushort PortB), (uint IsnA, uint IsnB)> _conversations = [];

    /// <summary>
    /// Returns the values to subtract from this segment's seq and ack (and SACK edges), both 0 when it
    /// is absolute. Segments without ACK are neither recorded nor adjusted.
    /// </summary>
    public (uint Seq, uint Ack) Observe(UInt128 src, ushort srcPort, UInt128 dst, ushort dstPort, bool ackFlag, bool synFlag, uint seq, uint ack)
    {
        if (!ackFlag)
            return (0, 0);
        bool forward = src < dst || (src == dst && srcPort <= dstPort);
        var key = forward ? (src, srcPort, dst, dstPort) : (dst, dstPort, src, srcPort);
        if (!_conversations.TryGetValue(key, out var isn) || synFlag)
        {
            _conversations[key] = forward ? (seq, ack - 1) : (ack - 1, seq);
            return (0, 0);
        }
        return forward ? (isn.IsnA, isn.IsnB) : (isn.IsnB, isn.IsnA);
    }
}
