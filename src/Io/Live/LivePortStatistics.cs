namespace Datapath.Io.Live;

/// <summary>
/// A snapshot of a live port's counters, named as <c>ovs-ofctl dump-ports</c> names them.
/// </summary>
/// <param name="RxPackets">Frames delivered to the caller.</param>
/// <param name="RxBytes">Bytes of those frames.</param>
/// <param name="RxDropped">Frames the kernel dropped before we read them (socket buffer or ring full; for a TAP,
/// the device's tx_dropped, read in whatever namespace the device now lives)
/// plus frames too long for a batch slot (also counted in <paramref name="RxTruncated"/>).</param>
/// <param name="RxTruncated">Frames longer than the batch's FrameCapacity, dropped.</param>
/// <param name="TxPackets">Frames handed to the kernel.</param>
/// <param name="TxBytes">Bytes of those frames.</param>
/// <param name="TxDropped">Frames not sent because the kernel queue was full (EAGAIN/ENOBUFS).</param>
/// <param name="Errors">Failed reads and sends for any other reason (EMSGSIZE, EIO, ...).</param>
public readonly record struct LivePortStatistics(
    long RxPackets,
    long RxBytes,
    long RxDropped,
    long RxTruncated,
    long TxPackets,
    long TxBytes,
    long TxDropped,
    long Errors);
