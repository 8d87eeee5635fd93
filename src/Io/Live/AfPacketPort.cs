using Datapath.Packets;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Datapath.Io.Live;

// AF_PACKET port
// ==============
//
// What?
// -----
// Raw access to an existing interface (a veth end, a physical NIC) through packet(7) sockets:
// every frame the interface receives is delivered to us, and frames we send leave through it.
//
// Design
// ------
// Two sockets. The receive socket is SOCK_RAW bound to (ifindex, ETH_P_ALL), made with protocol 0
// and bound only after its options are set, so no frame from another interface is ever queued.
// By default it has an mmap'ed receive ring (PacketRxRing: TPACKET_V3 blocks, or TPACKET_V2
// frames): ReceiveBatch walks the frames the kernel wrote into the ring and lends them to the
// FrameBatch in place (zero copy); the ring units they came from go back to the kernel at the next
// ReceiveBatch; poll(2) only when the ring is empty. Without a ring (RxRing = None, or the kernel
// refused it: RingFallbackReason says why) recvmmsg(2) fills up to a whole FrameBatch per call.
// Options:
//  - PACKET_IGNORE_OUTGOING: we never see frames sent on the interface (ours or the host's);
//    kernels before 4.20 lack it and we drop PACKET_OUTGOING frames by their sll_pkttype instead.
//  - PACKET_AUXDATA: the kernel moves 802.1Q tags out of band (VLAN acceleration); we put the tag
//    back into the frame in place, using the batch slot's headroom, as libpcap does.
//  - PACKET_VNET_HDR: a virtio_net_hdr precedes each frame. Frames a local stack sent through a
//    veth carry only a partial L4 checksum (CHECKSUM_PARTIAL, the "incorrect cksum" tcpdump shows
//    on veths); the header says where the checksum starts and goes, and we complete it as the
//    kernel's skb_checksum_help would, so the bytes we deliver are valid on any wire.
//  - an optional BPF filter (libpcap compiles it; SO_ATTACH_FILTER) and promiscuous membership.
// The send socket is bound to (ifindex, protocol 0), so it receives nothing. By default it has a
// TPACKET_V2 transmit ring (PacketTxRing): Send/SendBatch copy frames into ring slots under a lock
// and one send(2) hands the whole batch to the kernel; a frame longer than MTU + 18 (or the slot)
// is an error (EMSGSIZE, counted), a ring still full after one flush a counted tx drop. Without the
// ring: send(2) with MSG_DONTWAIT, a full queue a counted drop, never a stall; SendBatch sendmmsg(2).
//
// Faults: when the interface is deleted the kernel sets ENETDOWN on the socket; a link that only
// went down reports ENETDOWN too and comes back on NETDEV_UP, so ENETDOWN faults the port only
// when the ifindex no longer exists under our name. ENODEV/ENXIO always fault it. The kernel
// reports ENETDOWN once, at NETDEV_DOWN, which a deletion sends while the device still has its
// name (NETDEV_UNREGISTER follows and reports nothing): so after an ENETDOWN with the name still
// there, every receive looks again until a frame arrives (the link is back) or the name is gone.
//
// Invariants
// ----------
//  - _rxFd and _txFd are open from Open to Dispose; the scratch arrays hold _scratchCapacity messages.
//  - A delivered frame is whole: longer ones (MSG_TRUNC, tp_snaplen < tp_len, or longer than the
//    batch's FrameCapacity) are counted as truncated drops.
//  - Frames lent from the receive ring are valid until the next ReceiveBatch (or Dispose).
//  - _txRing is only touched under _txLock.
//
// Thread-safety
// -------------
// As ILivePort. The receive ring and scratch belong to the receiving thread; senders take _txLock
// on the ring path and use stack memory on the sendmmsg path.
//
// Cost
// ----
// Ring: no system call per batch while frames keep coming (one poll when idle), no copy on receive;
// one copy into the transmit ring per frame and one send per batch. Memory: 4 MiB receive ring and
// 1 MiB transmit ring by default. recvmmsg path: one recvmmsg per batch, ~200 bytes of native
// scratch per batch slot. No managed allocation after Open.

/// <summary>An existing interface through AF_PACKET sockets (see the design notes in the source).</summary>
public sealed unsafe class AfPacketPort : LivePort
{
    private const int SOL_PACKET = PacketRxRing.SOL_PACKET;
    private const int PACKET_ADD_MEMBERSHIP = 1;
    private const int PACKET_STATISTICS = 6;
    private const int PACKET_AUXDATA = 8;
    private const int PACKET_VNET_HDR = 15;
    private const int PACKET_QDISC_BYPASS = 20;
    private const int PACKET_IGNORE_OUTGOING = 23;
    private const int PACKET_FANOUT = 18;
    private const int PACKET_FANOUT_HASH = 0;
    private const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    private const int PACKET_FANOUT_FLAG_DEFRAG = 0x8000;
    private const int PACKET_MR_PROMISC = 1;
    private const byte PACKET_OUTGOING = 4;
    private const ushort ETH_P_ALL = 0x0003;
    private const uint TP_STATUS_VLAN_VALID = 0x10;
    private const uint TP_STATUS_VLAN_TPID_VALID = 0x40;
    private const byte VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    private const int VnetHeaderLength = 10;
    private const int ControlLength = 64;
    private const int SendChunk = 64;

    private readonly int _rxFd;
    private readonly int _txFd;
    private readonly int _ifindex;
    // Set by an ENETDOWN while the interface still had our name; cleared by the next frame received.
    private volatile bool _linkDownSeen;
    private readonly bool _filterOutgoing;
    private readonly PacketRxRing? _rxRing;
    private readonly PacketTxRing? _txRing;
    private readonly int _txMaxFrame;
    private readonly Lock _txLock = new();
    private int _scratchCapacity;
    private LibC.MMsgHdr* _messages;
    private LibC.IoVec* _iovecs;
    private byte* _vnetHeaders;
    private byte* _control;
    private SockAddrLl* _names;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrLl
    {
        public ushort Family;
        public ushort Protocol;     // network byte order
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLength;
        public ulong Address;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PacketMReq
    {
        public int IfIndex;
        public ushort Type;
        public ushort AddressLength;
        public ulong Address;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct AuxData
    {
        public uint Status;
        public uint Length;
        public uint SnapLength;
        public ushort Mac;
        public ushort Net;
        public ushort VlanTci;
        public ushort VlanTpid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Length;
        public ulong* Filter;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PacketStats
    {
        public uint Packets;
        public uint Drops;
    }

    private AfPacketPort(string name, int rxFd, int txFd, int ifindex, bool filterOutgoing,
        PacketRxRing? rxRing, AfPacketRxRing rxRingKind, PacketTxRing? txRing, int mtu, string? fallback)
        : base(name)
    {
        _rxFd = rxFd;
        _txFd = txFd;
        _ifindex = ifindex;
        _filterOutgoing = filterOutgoing;
        _rxRing = rxRing;
        RxRing = rxRing is null ? AfPacketRxRing.None : rxRingKind;
        _txRing = txRing;
        _txMaxFrame = txRing is null ? 0 : Math.Min(txRing.MaxFrame, mtu + 18); // the kernel's limit: MTU + Ethernet header (+ a VLAN tag)
        RingFallbackReason = fallback;
    }

    /// <summary>The receive ring in use: the one asked for, or None when there is none (asked so, or refused: see <see cref="RingFallbackReason"/>).</summary>
    public AfPacketRxRing RxRing { get; }

    /// <summary>Whether sends go through the TPACKET_V2 transmit ring (else sendmmsg).</summary>
    public bool UsesTxRing => _txRing is not null;

    /// <summary>Why a ring that was asked for is not used (the kernel's errno), or null.</summary>
    public string? RingFallbackReason { get; }

    /// <inheritdoc/>
    public override LivePortBackend Backend => LivePortBackend.AfPacket;

    /// <summary>The interface index the sockets are bound to.</summary>
    public int InterfaceIndex => _ifindex;

    /// <summary>Opens <paramref name="interfaceName"/> for raw receive and send; throws <see cref="LiveIoException"/> naming it and the errno.</summary>
    public static AfPacketPort Open(string interfaceName, AfPacketPortOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        options ??= new AfPacketPortOptions();
        InterfaceControl.ValidateName(interfaceName);
        ulong[]? filter = options.Filter is { Length: > 0 } text
            ? PcapLibrary.CompileFilter(interfaceName, text)
            : null;
        int ifindex = InterfaceControl.IndexOf(interfaceName);
        int mtu = InterfaceControl.GetMtu(interfaceName);
        int rx = -1, tx = -1;
        PacketRxRing? rxRing = null;
        PacketTxRing? txRing = null;
        string? fallback = null;
        try
        {
            rx = OpenSocket(interfaceName);
            bool filterOutgoing = !TrySetInt(rx, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
            SetInt(rx, SOL_PACKET, PACKET_AUXDATA, 1, interfaceName, "PACKET_AUXDATA");
            SetInt(rx, SOL_PACKET, PACKET_VNET_HDR, 1, interfaceName, "PACKET_VNET_HDR"); // before the ring: the kernel refuses it after (EBUSY)
            if (options.RxRing != AfPacketRxRing.None)
            {
                rxRing = PacketRxRing.TryCreate(rx, options, FrameBatch.Headroom, mtu, out fallback);
            }

            if (rxRing is null && !TrySetInt(rx, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, options.ReceiveBufferBytes))
            {
                TrySetInt(rx, LibC.SOL_SOCKET, LibC.SO_RCVBUF, options.ReceiveBufferBytes);
            }

            if (filter is not null)
            {
                fixed (ulong* insns = filter)
                {
                    SockFprog prog = new() { Length = (ushort)filter.Length, Filter = insns };
                    if (LibC.SetSockOpt(rx, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, &prog, (uint)sizeof(SockFprog)) < 0)
                    {
                        throw LiveIoException.FromErrno(interfaceName, $"setsockopt SO_ATTACH_FILTER ('{options.Filter}')", LibC.LastErrno);
                    }
                }
            }

            Bind(rx, ifindex, ETH_P_ALL, interfaceName);
            if (options.Promiscuous)
            {
                PacketMReq mreq = new() { IfIndex = ifindex, Type = PACKET_MR_PROMISC };
                if (LibC.SetSockOpt(rx, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, (uint)sizeof(PacketMReq)) < 0)
                {
                    throw LiveIoException.FromErrno(interfaceName, "setsockopt PACKET_ADD_MEMBERSHIP (promiscuous)", LibC.LastErrno);
                }
            }

            ushort? fanoutId = options.Fanout ? JoinFanout(rx, options.FanoutId, interfaceName) : null;
            tx = OpenSocket(interfaceName);
            if (options.TxRing)
            {
                txRing = PacketTxRing.TryCreate(tx, options.TxFrameCount, mtu, out string? why);
                fallback = why is null ? fallback : fallback is null ? why : fallback + "; " + why;
            }

            // The ring path allocates its skbs against the send buffer too (tpacket_snd): keep it large either way.
            if (!TrySetInt(tx, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, options.SendBufferBytes))
            {
                TrySetInt(tx, LibC.SOL_SOCKET, LibC.SO_SNDBUF, options.SendBufferBytes);
            }

            if (options.QdiscBypass)
            {
                SetInt(tx, SOL_PACKET, PACKET_QDISC_BYPASS, 1, interfaceName, "PACKET_QDISC_BYPASS");
            }

            Bind(tx, ifindex, 0, interfaceName);
            return new AfPacketPort(interfaceName, rx, tx, ifindex, filterOutgoing, rxRing, options.RxRing, txRing, mtu, fallback) { FanoutId = fanoutId };
        }
        catch
        {
            rxRing?.Dispose();
            txRing?.Dispose();
            if (rx >= 0)
            {
                LibC.Close(rx);
            }

            if (tx >= 0)
            {
                LibC.Close(tx);
            }

            throw;
        }
    }

    private static int OpenSocket(string name)
    {
        int fd = LibC.Socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LiveIoException.FromErrno(name, "socket(AF_PACKET, SOCK_RAW)", LibC.LastErrno);
        }

        return fd;
    }

    /// <summary>The PACKET_FANOUT group this port's receive socket is in (<see cref="AfPacketPortOptions.Fanout"/>), or null.</summary>
    public ushort? FanoutId { get; private init; }

    /// <summary>Joins <paramref name="id"/>'s hash fanout group, or a new one with a unique id; returns the group's id.</summary>
    private static ushort JoinFanout(int fd, ushort? id, string name)
    {
        int arg = (id ?? 0) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG | (id is null ? PACKET_FANOUT_FLAG_UNIQUEID : 0)) << 16);
        if (LibC.SetSockOpt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(int)) < 0)
            throw LiveIoException.FromErrno(name, id is null ? "setsockopt PACKET_FANOUT (a new hash group)" : $"setsockopt PACKET_FANOUT (join hash group {id})", LibC.LastErrno);
        if (id is { } joined)
            return joined;
        int value = 0;
        uint length = sizeof(int);
        if (LibC.GetSockOpt(fd, SOL_PACKET, PACKET_FANOUT, &value, &length) < 0)
            throw LiveIoException.FromErrno(name, "getsockopt PACKET_FANOUT", LibC.LastErrno);
        return (ushort)value;
    }

    private static void Bind(int fd, int ifindex, ushort protocol, string name)
    {
        SockAddrLl sll = new()
        {
            Family = LibC.AF_PACKET,
            Protocol = BinaryPrimitives.ReverseEndianness(protocol),
            IfIndex = ifindex,
        };
        if (LibC.Bind(fd, &sll, (uint)sizeof(SockAddrLl)) < 0)
        {
            throw LiveIoException.FromErrno(name, $"bind AF_PACKET socket to ifindex {ifindex}", LibC.LastErrno);
        }
    }

    private static bool TrySetInt(int fd, int level, int option, int value) =>
        LibC.SetSockOpt(fd, level, option, &value, sizeof(int)) == 0;

    private static void SetInt(int fd, int level, int option, int value, string name, string what)
    {
        if (!TrySetInt(fd, level, option, value))
        {
            throw LiveIoException.FromErrno(name, "setsockopt " + what, LibC.LastErrno);
        }
    }

    private protected override bool IsInterfaceGone(int errno)
    {
        if (errno is LibC.ENODEV or LibC.ENXIO or LibC.EBADFD)
        {
            return true;
        }

        if (errno != LibC.ENETDOWN)
        {
            return false;
        }

        bool gone = LibC.IfNameToIndex(Name) != (uint)_ifindex;
        _linkDownSeen = !gone;
        return gone;
    }

    private protected override void ReceiveCore(FrameBatch batch, int timeoutMs)
    {
        // A deletion reports ENETDOWN while the name still exists (see the type comment): look again.
        if (_linkDownSeen && Fault is null && LibC.IfNameToIndex(Name) != (uint)_ifindex)
        {
            RaiseFault(LivePortFaultKind.InterfaceGone, LibC.ENETDOWN, "receive (the link went down, then the interface was deleted)");
            return;
        }

        if (_rxRing is { } ring)
        {
            ring.Release(); // the frames lent by the previous receive are done with
            if (ReceiveFromRing(ring, batch) == 0 && timeoutMs != 0 && Fault is null && WaitRing(timeoutMs))
            {
                ReceiveFromRing(ring, batch);
            }
        }
        else
        {
            EnsureScratch(batch.Capacity);
            if (ReceiveReady(batch) == 0 && timeoutMs != 0 && Fault is null && WaitReadable(_rxFd, timeoutMs))
            {
                ReceiveReady(batch);
            }
        }

        if (batch.Count > 0)
        {
            _linkDownSeen = false;
        }
    }

    /// <summary>poll(2) the ring's socket; a socket error (the interface went down or away) is read and handled.</summary>
    private bool WaitRing(int timeoutMs)
    {
        LibC.PollFd pfd = new() { Fd = _rxFd, Events = LibC.POLLIN };
        if (LibC.Poll(&pfd, 1, timeoutMs) <= 0)
        {
            return false;
        }

        if ((pfd.Revents & LibC.POLLERR) != 0)
        {
            int error = 0;
            uint len = sizeof(int);
            if (LibC.GetSockOpt(_rxFd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &len) == 0 && error != 0)
            {
                OnReceiveError(error, "poll (receive ring)");
            }
        }

        return (pfd.Revents & LibC.POLLIN) != 0;
    }

    /// <summary>Lends the ready ring frames to the batch (in place), completing checksums and re-inserting VLAN tags.</summary>
    private int ReceiveFromRing(PacketRxRing ring, FrameBatch batch)
    {
        int first = batch.Count;
        long bytes = 0;
        while (batch.Count < batch.Capacity && ring.TryNext(out RingFrame f))
        {
            if (f.SnapLength < f.Length || f.Length > batch.FrameCapacity)
            {
                Counters.AddRxTruncated();
                continue;
            }

            if (f.Length < 14 || (_filterOutgoing && f.PacketType == PACKET_OUTGOING))
            {
                continue;
            }

            byte* data = f.Data;
            int length = f.Length;
            int room = f.Room;
            CompleteChecksum(data - VnetHeaderLength, data, length);
            if ((f.Status & TP_STATUS_VLAN_VALID) != 0 && room >= 4)
            {
                // The virtio_net_hdr before the frame is read: move the MAC addresses 4 bytes into it and put the tag back.
                ushort tpid = (f.Status & TP_STATUS_VLAN_TPID_VALID) != 0 ? f.VlanTpid : (ushort)0x8100;
                Buffer.MemoryCopy(data, data - 4, 12, 12);
                data -= 4;
                room -= 4;
                length += 4;
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + 12, 2), tpid);
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + 14, 2), f.VlanTci);
            }

            batch.CommitExternal(data, length, room);
            bytes += length;
        }

        int got = batch.Count - first;
        Counters.AddRx(got, bytes);
        return got;
    }

    private void EnsureScratch(int capacity)
    {
        if (capacity <= _scratchCapacity)
        {
            return;
        }

        FreeScratch();
        _messages = (LibC.MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(LibC.MMsgHdr));
        _iovecs = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)(2 * capacity), (nuint)sizeof(LibC.IoVec));
        _vnetHeaders = (byte*)NativeMemory.AllocZeroed((nuint)capacity, 16);
        _control = (byte*)NativeMemory.AllocZeroed((nuint)capacity, ControlLength);
        _names = (SockAddrLl*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(SockAddrLl));
        _scratchCapacity = capacity;
    }

    private void FreeScratch()
    {
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_vnetHeaders);
        NativeMemory.Free(_control);
        NativeMemory.Free(_names);
        _messages = null;
        _iovecs = null;
        _vnetHeaders = null;
        _control = null;
        _names = null;
        _scratchCapacity = 0;
    }

    private int ReceiveReady(FrameBatch batch)
    {
        int want = batch.Capacity - batch.Count;
        int first = batch.Count;
        for (int i = 0; i < want; i++)
        {
            LibC.IoVec* iov = _iovecs + (2 * i);
            iov[0].Base = _vnetHeaders + (16 * i);
            iov[0].Length = VnetHeaderLength;
            iov[1].Base = batch.SlotData(first + i);
            iov[1].Length = (nuint)batch.FrameCapacity;
            ref LibC.MsgHdr h = ref _messages[i].Header;
            h.Name = _names + i;
            h.NameLength = (uint)sizeof(SockAddrLl);
            h.Iov = iov;
            h.IovLength = 2;
            h.Control = _control + (ControlLength * i);
            h.ControlLength = ControlLength;
            h.Flags = 0;
        }

        int n = LibC.RecvMMsg(_rxFd, _messages, (uint)want, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC, null);
        if (n <= 0)
        {
            if (n < 0)
            {
                OnReceiveError(LibC.LastErrno, "recvmmsg");
            }

            return 0;
        }

        long bytes = 0;
        for (int i = 0; i < n; i++)
        {
            ref LibC.MMsgHdr m = ref _messages[i];
            int length = (int)m.Length - VnetHeaderLength;
            if ((m.Header.Flags & LibC.MSG_TRUNC) != 0 || length > batch.FrameCapacity)
            {
                Counters.AddRxTruncated();
                continue;
            }

            if (length < 14 || (_filterOutgoing && _names[i].PktType == PACKET_OUTGOING))
            {
                continue;
            }

            // The frame sits at the start of slot (first + i); frames dropped above leave gaps,
            // so a kept frame may be committed into an earlier slot: move it down if so.
            int slot = batch.Count;
            byte* data = batch.SlotData(first + i);
            if (slot != first + i)
            {
                Buffer.MemoryCopy(data, batch.SlotData(slot), batch.FrameCapacity, length);
                data = batch.SlotData(slot);
            }

            CompleteChecksum(_vnetHeaders + (16 * i), data, length);
            int offset = 0;
            if (FindVlan(ref m.Header, out ushort tpid, out ushort tci))
            {
                // Put the 802.1Q tag back after the MAC addresses: move them 4 bytes into the headroom.
                Buffer.MemoryCopy(data, data - 4, 12, 12);
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + 8, 2), tpid);
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + 10, 2), tci);
                offset = -4;
                length += 4;
            }

            batch.Commit(offset, length);
            bytes += length;
        }

        int got = batch.Count - first;
        Counters.AddRx(got, bytes);
        return got;
    }

    private static bool FindVlan(ref LibC.MsgHdr h, out ushort tpid, out ushort tci)
    {
        byte* p = (byte*)h.Control;
        byte* end = p + h.ControlLength;
        while (p + sizeof(LibC.CMsgHdr) <= end)
        {
            LibC.CMsgHdr* c = (LibC.CMsgHdr*)p;
            if (c->Length < (nuint)sizeof(LibC.CMsgHdr))
            {
                break;
            }

            if (c->Level == SOL_PACKET && c->Type == PACKET_AUXDATA && c->Length >= (nuint)(sizeof(LibC.CMsgHdr) + sizeof(AuxData)))
            {
                AuxData* aux = (AuxData*)(p + sizeof(LibC.CMsgHdr));
                if ((aux->Status & TP_STATUS_VLAN_VALID) != 0)
                {
                    tci = aux->VlanTci;
                    tpid = (aux->Status & TP_STATUS_VLAN_TPID_VALID) != 0 ? aux->VlanTpid : (ushort)0x8100;
                    return true;
                }

                break;
            }

            p += (c->Length + 7) & ~(nuint)7; // CMSG_ALIGN
        }

        tpid = 0;
        tci = 0;
        return false;
    }

    /// <summary>Completes a CHECKSUM_PARTIAL frame (virtio_net_hdr NEEDS_CSUM) as skb_checksum_help does.</summary>
    private static void CompleteChecksum(byte* vnet, byte* frame, int length)
    {
        if ((vnet[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) == 0)
        {
            return;
        }

        int start = vnet[6] | (vnet[7] << 8);    // csum_start, little-endian (host order)
        int offset = vnet[8] | (vnet[9] << 8);   // csum_offset
        if (start + offset + 2 > length)
        {
            return;
        }

        // The checksum field already holds the pseudo-header sum; sum everything from csum_start.
        ushort folded = Checksum.Fold(Checksum.Add(new ReadOnlySpan<byte>(frame + start, length - start)));
        BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(frame + start + offset, 2), folded == 0 ? (ushort)0xffff : folded);
    }

    private protected override bool SendCore(ReadOnlySpan<byte> frame)
    {
        if (_txRing is { } ring)
        {
            fixed (byte* f = frame)
            {
                lock (_txLock)
                {
                    if (!QueueLocked(ring, f, frame.Length))
                    {
                        return false;
                    }

                    FlushLocked();
                }
            }

            Counters.AddTx(1, frame.Length);
            return true;
        }

        fixed (byte* p = frame)
        {
            if (LibC.Send(_txFd, p, (nuint)frame.Length, LibC.MSG_DONTWAIT) < 0)
            {
                return OnSendError(LibC.LastErrno, "send");
            }
        }

        Counters.AddTx(1, frame.Length);
        return true;
    }

    /// <summary>Copies one frame into the transmit ring (flushing once if it is full); counts refusals.</summary>
    private bool QueueLocked(PacketTxRing ring, byte* frame, int length)
    {
        if (length < 14 || length > _txMaxFrame || (length > _txMaxFrame - 4 && !IsVlanTagged(frame)))
        {
            Counters.AddError(); // EMSGSIZE: the kernel would refuse it (shorter than an Ethernet header, longer than MTU + 18)
            return false;
        }

        if (ring.TryQueue(frame, length))
        {
            return true;
        }

        FlushLocked(); // the slot we need is still the kernel's: let it send what is requested, then retry once
        if (ring.TryQueue(frame, length))
        {
            return true;
        }

        Counters.AddTxDropped();
        return false;
    }

    /// <summary>802.1Q or 802.1ad: the kernel allows 4 bytes over MTU + 14 for those (packet_extra_vlan_len_allowed).</summary>
    private static bool IsVlanTagged(byte* frame) =>
        frame[12] == 0x81 && frame[13] == 0x00 || frame[12] == 0x88 && frame[13] == 0xa8;

    /// <summary>One send(2): the kernel transmits every requested slot. A vanished interface faults the port.</summary>
    private void FlushLocked()
    {
        if (PacketTxRing.Flush(_txFd) < 0)
        {
            int errno = LibC.LastErrno;
            if (errno is not (LibC.EAGAIN or LibC.ENOBUFS or LibC.EINTR))
            {
                OnSendError(errno, "send (transmit ring)"); // requested slots stay queued for the next flush
            }
        }
    }

    private int SendBatchThroughRing(PacketTxRing ring, FrameBatch batch)
    {
        int sent = 0;
        long bytes = 0;
        lock (_txLock)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                int length = batch.GetLength(i);
                if (QueueLocked(ring, batch.FrameData(i), length))
                {
                    sent++;
                    bytes += length;
                }
            }

            if (sent > 0)
            {
                FlushLocked();
            }
        }

        Counters.AddTx(sent, bytes);
        return sent;
    }

    /// <inheritdoc/>
    public override int SendBatch(FrameBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Fault is not null)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Counters.AddTxDropped();
            }

            return 0;
        }

        if (_txRing is { } ring)
        {
            return SendBatchThroughRing(ring, batch);
        }

        LibC.MMsgHdr* msgs = stackalloc LibC.MMsgHdr[SendChunk];
        LibC.IoVec* iovs = stackalloc LibC.IoVec[SendChunk];
        int sent = 0;
        int index = 0;
        while (index < batch.Count)
        {
            int chunk = Math.Min(SendChunk, batch.Count - index);
            long bytes = 0;
            for (int i = 0; i < chunk; i++)
            {
                int len = batch.GetLength(index + i);
                iovs[i].Base = batch.FrameData(index + i);
                iovs[i].Length = (nuint)len;
                msgs[i] = default;
                msgs[i].Header.Iov = iovs + i;
                msgs[i].Header.IovLength = 1;
            }

            int n = LibC.SendMMsg(_txFd, msgs, (uint)chunk, LibC.MSG_DONTWAIT);
            if (n < 0)
            {
                // The first message failed: account for it and go on with the rest.
                OnSendError(LibC.LastErrno, "sendmmsg");
                if (Fault is not null)
                {
                    return sent;
                }

                index++;
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                bytes += batch.GetLength(index + i);
            }

            Counters.AddTx(n, bytes);
            sent += n;
            index += n;
        }

        return sent;
    }

    private protected override void RefreshKernelCounters()
    {
        PacketStats stats;
        uint len = (uint)sizeof(PacketStats);
        if (LibC.GetSockOpt(_rxFd, SOL_PACKET, PACKET_STATISTICS, &stats, &len) == 0 && stats.Drops != 0)
        {
            Counters.AddRxDropped(stats.Drops);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        LibC.Close(_rxFd);
        LibC.Close(_txFd);
        _rxRing?.Dispose();
        _txRing?.Dispose();
        FreeScratch();
    }
}
