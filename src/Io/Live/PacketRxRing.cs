using System.Runtime.InteropServices;

namespace Datapath.Io.Live;

// Packet receive ring (PACKET_MMAP, TPACKET_V3 or TPACKET_V2)
// ===========================================================
//
// What?
// -----
// The receive side of an AF_PACKET socket as memory shared with the kernel (packet_mmap.rst): the
// kernel writes each frame straight into a ring we mmap'ed, and we read it there, in place, with
// no system call while frames keep coming and no copy into our own buffers.
//
// Design
// ------
// The ring is `Units` equal units laid out back to back: TPACKET_V3 blocks (a block descriptor,
// then variable-length frames chained by tp_next_offset) or TPACKET_V2 frames (one tpacket2_hdr and
// one frame each). Each unit has a status word the kernel and we hand back and forth:
// TP_STATUS_KERNEL (the kernel may fill it) -> TP_STATUS_USER (ours to read) -> back to KERNEL when
// we are done. We walk the units in ring order from `_current`. A unit we have walked completely is
// "held": its frames may still be in the caller's FrameBatch (lent, see FrameBatch.CommitExternal),
// so it goes back to the kernel only at Release, which the port calls at the start of its next
// receive. The V3 block being walked (`_left` > 0) is neither held nor released until walked.
// Every frame sits after its tpacket header and sockaddr_ll, PACKET_RESERVE bytes of headroom and
// the 10-byte virtio_net_hdr (PACKET_VNET_HDR), so a frame can grow at the front in place.
//
// Invariants
// ----------
//  - (_heldFirst + _heldCount) mod Units == _current: the held units are the ones just before _current.
//  - 0 <= _heldCount <= Units; a held unit's status is USER and we never look at it again before Release.
//  - _left > 0 only for V3: the block at _current is USER and _next points at its next unread frame.
//
// Thread-safety
// -------------
// None: the port's receiving thread owns the ring. Status words are read with acquire and written
// with release semantics (Volatile), the barriers packet_mmap.rst asks for.
//
// Cost
// ----
// Units x unit bytes of kernel memory mapped once; per frame a few loads, per unit one status store.

/// <summary>A frame in the receive ring, as the kernel described it.</summary>
internal unsafe readonly struct RingFrame
{
    /// <summary>First byte of the Ethernet header, inside the ring.</summary>
    public readonly byte* Data;

    /// <summary>Bytes captured (tp_snaplen).</summary>
    public readonly int SnapLength;

    /// <summary>Bytes the frame had on the wire (tp_len); larger than SnapLength when the ring truncated it.</summary>
    public readonly int Length;

    /// <summary>tp_status (TP_STATUS_VLAN_VALID, ...).</summary>
    public readonly uint Status;

    public readonly ushort VlanTci;
    public readonly ushort VlanTpid;

    /// <summary>sll_pkttype (PACKET_HOST, PACKET_OUTGOING, ...).</summary>
    public readonly byte PacketType;

    /// <summary>Writable bytes in front of <see cref="Data"/> (reserve + virtio_net_hdr + alignment).</summary>
    public readonly int Room;

    public RingFrame(byte* data, int snapLength, int length, uint status, ushort vlanTci, ushort vlanTpid, byte packetType, int room)
    {
        Data = data;
        SnapLength = snapLength;
        Length = length;
        Status = status;
        VlanTci = vlanTci;
        VlanTpid = vlanTpid;
        PacketType = packetType;
        Room = room;
    }
}

/// <summary>An mmap'ed PACKET_RX_RING of an AF_PACKET socket (see the design notes in the source).</summary>
internal sealed unsafe class PacketRxRing : IDisposable
{
    internal const int SOL_PACKET = 263;
    internal const int PACKET_RX_RING = 5;
    internal const int PACKET_VERSION = 10;
    internal const int PACKET_RESERVE = 12;
    internal const int TPACKET_V2 = 1;
    internal const int TPACKET_V3 = 2;
    private const uint TP_STATUS_KERNEL = 0;
    private const uint TP_STATUS_USER = 1;
    private const int V2HeaderLength = 32;   // TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
    private const int V3HeaderLength = 48;   // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
    private const int SockAddrLlLength = 20; // sizeof(struct sockaddr_ll)
    private const int PacketTypeOffset = 10; // sll_pkttype in struct sockaddr_ll

    private readonly byte* _map;
    private readonly nuint _mapLength;
    private readonly int _unitBytes;
    private readonly bool _v3;
    private int _current;
    private int _heldFirst;
    private int _heldCount;
    private byte* _next;
    private uint _left;

    /// <summary>struct tpacket_req3 (struct tpacket_req is its first four fields).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TPacketReq3
    {
        public uint BlockSize;
        public uint BlockCount;
        public uint FrameSize;
        public uint FrameCount;
        public uint RetireBlockTimeoutMs;
        public uint SizeofPrivate;
        public uint FeatureRequestWord;
    }

    private PacketRxRing(byte* map, nuint mapLength, int unitBytes, int units, bool v3)
    {
        _map = map;
        _mapLength = mapLength;
        _unitBytes = unitBytes;
        Units = units;
        _v3 = v3;
    }

    /// <summary>Number of units (V3 blocks or V2 frames).</summary>
    public int Units { get; }

    /// <summary>Bytes of ring memory.</summary>
    public long Bytes => (long)_mapLength;

    /// <summary>
    /// Sets PACKET_VERSION, PACKET_RESERVE and PACKET_RX_RING on <paramref name="fd"/> and maps the
    /// ring; null (with the reason) when the kernel refuses any step — the socket is then left without
    /// a ring, so recvmmsg still works on it.
    /// </summary>
    public static PacketRxRing? TryCreate(int fd, AfPacketPortOptions options, int reserve, int mtu, out string? why)
    {
        bool v3 = options.RxRing == AfPacketRxRing.V3;
        int version = v3 ? TPACKET_V3 : TPACKET_V2;
        if (!SetInt(fd, PACKET_VERSION, version))
        {
            why = "setsockopt PACKET_VERSION " + (v3 ? "TPACKET_V3" : "TPACKET_V2") + ": " + LibC.Describe(LibC.LastErrno);
            return null;
        }

        if (!SetInt(fd, PACKET_RESERVE, reserve))
        {
            why = "setsockopt PACKET_RESERVE: " + LibC.Describe(LibC.LastErrno);
            return null;
        }

        TPacketReq3 req = default;
        int unitBytes;
        int units;
        if (v3)
        {
            unitBytes = options.RxBlockBytes;
            units = options.RxBlockCount;
            req.BlockSize = (uint)unitBytes;
            req.BlockCount = (uint)units;
            req.FrameSize = (uint)Math.Min(2048, unitBytes); // V3 frames are variable; only frames_per_block * blocks = frames is checked
            req.FrameCount = req.FrameSize == 0 ? 0 : (req.BlockSize / req.FrameSize) * req.BlockCount;
            req.RetireBlockTimeoutMs = (uint)Math.Max(1, options.RxBlockTimeoutMs);
        }
        else
        {
            // A slot must hold the header (80 bytes with the sockaddr_ll), the reserve, the virtio_net_hdr and
            // an MTU-sized frame with a VLAN tag: grow it to the next power of two if needed, keeping the ring's size.
            unitBytes = options.RxFrameBytes;
            int frames = options.RxFrameCount;
            while (unitBytes > 0 && unitBytes < 80 + reserve + 10 + mtu + 18 && unitBytes < (1 << 17))
            {
                unitBytes <<= 1;
                frames = Math.Max(64, frames / 2);
            }

            int block = Math.Max(unitBytes, 64 << 10);
            int perBlock = unitBytes <= 0 ? 0 : block / unitBytes;
            int blocks = perBlock == 0 ? 0 : (frames + perBlock - 1) / perBlock;
            units = blocks * perBlock;
            req.BlockSize = (uint)block;
            req.BlockCount = (uint)blocks;
            req.FrameSize = (uint)unitBytes;
            req.FrameCount = (uint)units;
            if (block % Math.Max(1, unitBytes) != 0)
            {
                why = $"PACKET_RX_RING: a TPACKET_V2 frame of {unitBytes} bytes does not divide a {block}-byte block (use a power of two)";
                return null;
            }
        }

        uint length = v3 ? (uint)sizeof(TPacketReq3) : 16u; // V2 takes struct tpacket_req
        if (units <= 0 || LibC.SetSockOpt(fd, SOL_PACKET, PACKET_RX_RING, &req, length) < 0)
        {
            why = $"setsockopt PACKET_RX_RING ({units} x {unitBytes} bytes): " + (units <= 0 ? "no units" : LibC.Describe(LibC.LastErrno));
            return null;
        }

        nuint mapLength = (nuint)((long)unitBytes * units);
        void* map = LibC.Mmap(null, mapLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (map == LibC.MapFailed)
        {
            why = $"mmap of the {mapLength}-byte receive ring: " + LibC.Describe(LibC.LastErrno);
            TPacketReq3 none = default; // take the ring away again: frames go to the socket queue (recvmmsg)
            LibC.SetSockOpt(fd, SOL_PACKET, PACKET_RX_RING, &none, length);
            return null;
        }

        why = null;
        return new PacketRxRing((byte*)map, mapLength, unitBytes, units, v3);
    }

    private static bool SetInt(int fd, int option, int value) =>
        LibC.SetSockOpt(fd, SOL_PACKET, option, &value, sizeof(int)) == 0;

    /// <summary>Hands every held unit back to the kernel: the frames lent from them are no longer used.</summary>
    public void Release()
    {
        int unit = _heldFirst;
        for (int i = 0; i < _heldCount; i++)
        {
            byte* status = _map + ((nint)unit * _unitBytes) + (_v3 ? 8 : 0); // tpacket_block_desc.hdr.bh1.block_status / tp_status
            Volatile.Write(ref *(uint*)status, TP_STATUS_KERNEL);
            unit = unit + 1 == Units ? 0 : unit + 1;
        }

        _heldFirst = unit;
        _heldCount = 0;
    }

    /// <summary>The next frame the kernel has handed over, or false when there is none (yet).</summary>
    public bool TryNext(out RingFrame frame)
    {
        byte* h;
        if (_v3)
        {
            while (_left == 0)
            {
                if (_heldCount == Units)
                {
                    frame = default;
                    return false; // every block is lent out until the next Release
                }

                byte* block = _map + ((nint)_current * _unitBytes);
                if ((Volatile.Read(ref *(uint*)(block + 8)) & TP_STATUS_USER) == 0)
                {
                    frame = default;
                    return false;
                }

                _left = *(uint*)(block + 12);                // num_pkts
                _next = block + *(uint*)(block + 16);        // offset_to_first_pkt
                if (_left == 0)
                {
                    Hold(); // a retired empty block: nothing to read, give it back with the others
                }
            }

            h = _next;
            if (--_left == 0)
            {
                Hold();
            }
            else
            {
                _next = h + *(uint*)h;                       // tp_next_offset
            }

            ushort mac = *(ushort*)(h + 24);
            frame = new RingFrame(
                h + mac,
                (int)*(uint*)(h + 12),                        // tp_snaplen
                (int)*(uint*)(h + 16),                        // tp_len
                *(uint*)(h + 20),                             // tp_status
                (ushort)*(uint*)(h + 32),                     // hv1.tp_vlan_tci
                *(ushort*)(h + 36),                           // hv1.tp_vlan_tpid
                h[V3HeaderLength + PacketTypeOffset],
                mac - V3HeaderLength - SockAddrLlLength);
            return true;
        }

        if (_heldCount == Units)
        {
            frame = default;
            return false;
        }

        h = _map + ((nint)_current * _unitBytes);
        uint status = Volatile.Read(ref *(uint*)h);
        if ((status & TP_STATUS_USER) == 0)
        {
            frame = default;
            return false;
        }

        Hold();
        ushort offset = *(ushort*)(h + 12);
        frame = new RingFrame(
            h + offset,
            (int)*(uint*)(h + 8),                             // tp_snaplen
            (int)*(uint*)(h + 4),                             // tp_len
            status,
            *(ushort*)(h + 24),                               // tp_vlan_tci
            *(ushort*)(h + 26),                               // tp_vlan_tpid
            h[V2HeaderLength + PacketTypeOffset],
            offset - V2HeaderLength - SockAddrLlLength);
        return true;
    }

    private void Hold()
    {
        _heldCount++;
        _current = _current + 1 == Units ? 0 : _current + 1;
    }

    public void Dispose() => LibC.Munmap(_map, _mapLength);
}
