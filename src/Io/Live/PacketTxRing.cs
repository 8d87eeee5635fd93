namespace Datapath.Io.Live;

// Packet transmit ring (PACKET_MMAP, TPACKET_V2)
// ==============================================
//
// What?
// -----
// The send side of an AF_PACKET socket as shared memory: we copy frames into ring slots and mark
// them TP_STATUS_SEND_REQUEST; one send(2) with no data makes the kernel transmit every requested
// slot in order (tpacket_snd) — one system call per batch, however many frames.
//
// Design
// ------
// `Frames` fixed slots of `_frameBytes`, back to back (blocks are a multiple of the slot size). A
// slot is a tpacket2_hdr (status, tp_len) with the frame at offset 32 (TPACKET2_HDRLEN minus the
// sockaddr_ll). Slot status: AVAILABLE (ours to fill) -> SEND_REQUEST (we filled it) -> SENDING
// (the kernel built an skb from it) -> AVAILABLE again once that skb is freed (tpacket_destruct_skb).
// `_head` is the next slot we fill; the kernel keeps its own head and walks the same order, so the
// two agree as long as every slot we request is eventually taken (PACKET_LOSS makes the kernel
// skip a malformed slot instead of stopping the ring at it).
//
// Invariants
// ----------
//  - Slots are filled strictly in ring order; a slot is written only while its status is AVAILABLE.
//  - The status store is the last write to a slot (release), so the kernel never sees a half frame.
//
// Thread-safety
// -------------
// None here: the port serializes senders with a lock around TryQueue + Flush.
//
// Cost
// ----
// Frames x slot bytes of kernel memory; per frame one copy into the slot; per batch one send(2).
internal sealed unsafe class PacketTxRing : IDisposable
{
    private const int PACKET_TX_RING = 13;
    private const int PACKET_LOSS = 14;
    private const uint TP_STATUS_AVAILABLE = 0;
    private const uint TP_STATUS_SEND_REQUEST = 1;
    private const int DataOffset = 32; // TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)

    private readonly byte* _map;
    private readonly nuint _mapLength;
    private readonly int _frameBytes;
    private int _head;

    private PacketTxRing(byte* map, nuint mapLength, int frameBytes, int frames)
    {
        _map = map;
        _mapLength = mapLength;
        _frameBytes = frameBytes;
        Frames = frames;
    }

    /// <summary>Number of slots.</summary>
    public int Frames { get; }

    /// <summary>Largest frame a slot holds.</summary>
    public int MaxFrame => _frameBytes - DataOffset;

    /// <summary>
    /// Sets TPACKET_V2, PACKET_LOSS and PACKET_TX_RING on <paramref name="fd"/> (slots big enough for
    /// an <paramref name="mtu"/>-byte payload plus an Ethernet header and a VLAN tag) and maps it;
    /// null with the reason when the kernel refuses.
    /// </summary>
    public static PacketTxRing? TryCreate(int fd, int frames, int mtu, out string? why)
    {
        int one = 1;
        int version = PacketRxRing.TPACKET_V2;
        if (LibC.SetSockOpt(fd, PacketRxRing.SOL_PACKET, PacketRxRing.PACKET_VERSION, &version, sizeof(int)) < 0)
        {
            why = "setsockopt PACKET_VERSION TPACKET_V2 (tx): " + LibC.Describe(LibC.LastErrno);
            return null;
        }

        if (LibC.SetSockOpt(fd, PacketRxRing.SOL_PACKET, PACKET_LOSS, &one, sizeof(int)) < 0)
        {
            why = "setsockopt PACKET_LOSS: " + LibC.Describe(LibC.LastErrno);
            return null;
        }

        int frameBytes = 2048;
        while (frameBytes - DataOffset < mtu + 18 && frameBytes < (1 << 17))
        {
            frameBytes <<= 1;
        }

        int block = Math.Max(frameBytes, 64 << 10);
        int perBlock = block / frameBytes;
        int blocks = Math.Max(1, (Math.Max(frames, 1) + perBlock - 1) / perBlock);
        PacketRxRing.TPacketReq3 req = new()
        {
            BlockSize = (uint)block,
            BlockCount = (uint)blocks,
            FrameSize = (uint)frameBytes,
            FrameCount = (uint)(blocks * perBlock),
        };
        if (LibC.SetSockOpt(fd, PacketRxRing.SOL_PACKET, PACKET_TX_RING, &req, 16) < 0)
        {
            why = $"setsockopt PACKET_TX_RING ({req.FrameCount} x {frameBytes} bytes): " + LibC.Describe(LibC.LastErrno);
            return null;
        }

        nuint mapLength = (nuint)((long)block * blocks);
        void* map = LibC.Mmap(null, mapLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (map == LibC.MapFailed)
        {
            why = $"mmap of the {mapLength}-byte transmit ring: " + LibC.Describe(LibC.LastErrno);
            PacketRxRing.TPacketReq3 none = default;
            LibC.SetSockOpt(fd, PacketRxRing.SOL_PACKET, PACKET_TX_RING, &none, 16);
            return null;
        }

        why = null;
        return new PacketTxRing((byte*)map, mapLength, frameBytes, (int)req.FrameCount);
    }

    /// <summary>Copies a frame into the next slot and requests its sending; false when that slot is still the kernel's (ring full).</summary>
    public bool TryQueue(byte* data, int length)
    {
        byte* slot = _map + ((nint)_head * _frameBytes);
        if (Volatile.Read(ref *(uint*)slot) != TP_STATUS_AVAILABLE)
        {
            return false;
        }

        Buffer.MemoryCopy(data, slot + DataOffset, MaxFrame, length);
        *(uint*)(slot + 4) = (uint)length;                 // tp_len
        Volatile.Write(ref *(uint*)slot, TP_STATUS_SEND_REQUEST);
        _head = _head + 1 == Frames ? 0 : _head + 1;
        return true;
    }

    /// <summary>send(2) with no data: the kernel transmits every requested slot. -1 and errno on failure.</summary>
    public static nint Flush(int fd) => LibC.Send(fd, null, 0, LibC.MSG_DONTWAIT);

    public void Dispose() => LibC.Munmap(_map, _mapLength);
}
