using System.Runtime.InteropServices;

namespace Datapath.Io.Live;

// libpcap port
// ============
//
// What?
// -----
// An existing interface through libpcap (pcap_create/pcap_activate on Linux: a TPACKET_V3 ring),
// for when a BPF filter expression or libpcap's own handling is wanted.
//
// Design
// ------
// Immediate mode (frames are handed over as they arrive, not when a ring block fills),
// non-blocking, direction PCAP_D_IN (we don't see what is sent on the interface, ours included),
// snap length 65535. ReceiveBatch calls pcap_dispatch(count = free slots) with an unmanaged
// callback that copies each frame from the ring into the next batch slot: the one copy a
// mmap ring needs, no allocation. When nothing is ready it polls pcap_get_selectable_fd.
// libpcap re-inserts VLAN tags itself. It does not complete the partial checksums of frames a
// local stack sent through a veth; the AF_PACKET port does (see AfPacketPort).
// Sends are pcap_inject under a lock (a pcap_t is not documented as thread-safe).
//
// Faults: a fatal pcap_dispatch error, or POLLERR while the interface no longer exists, stops the
// port with the libpcap message.
//
// Thread-safety
// -------------
// As ILivePort.
//
// Cost
// ----
// One pcap_dispatch per batch (libpcap walks its ring, no system call while frames are
// queued), one copy per frame, one send(2) per frame sent.

/// <summary>An existing interface through libpcap (see the design notes in the source).</summary>
public sealed unsafe class PcapPort : LivePort
{
    private const int SnapLength = 65535;

    private readonly IntPtr _pcap;
    private readonly int _selectableFd;
    private readonly int _ifindex;
    private readonly Lock _sendLock = new();
    private GCHandle _self;
    private FrameBatch? _filling;
    private long _fillBytes;
    private uint _kernelDropsSeen;

    private PcapPort(string name, IntPtr pcap, int selectableFd, int ifindex)
        : base(name)
    {
        _pcap = pcap;
        _selectableFd = selectableFd;
        _ifindex = ifindex;
        _self = GCHandle.Alloc(this, GCHandleType.Normal);
    }

    /// <inheritdoc/>
    public override LivePortBackend Backend => LivePortBackend.Pcap;

    /// <summary>libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)"; throws when libpcap is missing.</summary>
    public static string LibraryVersion
    {
        get
        {
            Libpcap.EnsureAvailable("reading the libpcap version");
            return Libpcap.Text(Libpcap.LibraryVersion());
        }
    }

    /// <summary>Opens <paramref name="interfaceName"/> with libpcap; throws <see cref="LiveIoException"/> naming it and the error
    /// (environment class when libpcap is missing, with the command that installs it).</summary>
    public static PcapPort Open(string interfaceName, PcapPortOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        options ??= new PcapPortOptions();
        InterfaceControl.ValidateName(interfaceName);
        Libpcap.EnsureAvailable($"the pcap port on '{interfaceName}'");
        int ifindex = InterfaceControl.IndexOf(interfaceName);
        byte* errbuf = stackalloc byte[Libpcap.ErrorBufferSize];
        errbuf[0] = 0;
        IntPtr p = Libpcap.Create(interfaceName, errbuf);
        if (p == IntPtr.Zero)
        {
            throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_create on interface '{interfaceName}' failed: {Libpcap.Text(errbuf)}");
        }

        try
        {
            Libpcap.SetSnapLength(p, SnapLength);
            Libpcap.SetPromiscuous(p, options.Promiscuous ? 1 : 0);
            Libpcap.SetImmediateMode(p, 1);
            Libpcap.SetBufferSize(p, options.BufferBytes);
            int status = Libpcap.Activate(p);
            if (status < 0)
            {
                string detail = status == Libpcap.PCAP_ERROR ? Libpcap.Text(Libpcap.GetError(p)) : Libpcap.Text(Libpcap.StatusToString(status));
                string hint = status == Libpcap.PCAP_ERROR_PERM_DENIED ? " — live ports need root or CAP_NET_RAW" : string.Empty;
                throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_activate on interface '{interfaceName}' failed: {detail}{hint}");
            }

            if (Libpcap.SetDirection(p, Libpcap.DirectionIn) < 0)
            {
                throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_setdirection(PCAP_D_IN) on interface '{interfaceName}' failed: {Libpcap.Text(Libpcap.GetError(p))}");
            }

            if (options.Filter is { Length: > 0 } filter)
            {
                Libpcap.BpfProgram program;
                if (Libpcap.Compile(p, &program, filter, 1, Libpcap.NetmaskUnknown) < 0)
                {
                    throw new LiveIoException(LiveIoErrorKind.Input, $"BPF filter for '{interfaceName}' does not compile: '{filter}': {Libpcap.Text(Libpcap.GetError(p))}");
                }

                int set = Libpcap.SetFilter(p, &program);
                Libpcap.FreeCode(&program);
                if (set < 0)
                {
                    throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_setfilter('{filter}') on interface '{interfaceName}' failed: {Libpcap.Text(Libpcap.GetError(p))}");
                }
            }

            if (Libpcap.SetNonBlock(p, 1, errbuf) < 0)
            {
                throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_setnonblock on interface '{interfaceName}' failed: {Libpcap.Text(errbuf)}");
            }

            int fd = Libpcap.GetSelectableFd(p);
            return new PcapPort(interfaceName, p, fd, ifindex);
        }
        catch
        {
            Libpcap.Close(p);
            throw;
        }
    }

    private protected override void ReceiveCore(FrameBatch batch, int timeoutMs)
    {
        if (DispatchReady(batch) == 0 && timeoutMs != 0 && Fault is null)
        {
            LibC.PollFd pfd = new() { Fd = _selectableFd, Events = LibC.POLLIN };
            int n = LibC.Poll(&pfd, 1, timeoutMs);
            if (n > 0)
            {
                if ((pfd.Revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0 && LibC.IfNameToIndex(Name) != (uint)_ifindex)
                {
                    RaiseFault(LivePortFaultKind.InterfaceGone, LibC.ENODEV, "poll");
                    return;
                }

                DispatchReady(batch);
            }
        }
    }

    private int DispatchReady(FrameBatch batch)
    {
        int first = batch.Count;
        _filling = batch;
        _fillBytes = 0;
        int n = Libpcap.Dispatch(_pcap, batch.Capacity - batch.Count, &OnPacket, (byte*)GCHandle.ToIntPtr(_self));
        int errno = LibC.LastErrno;
        _filling = null;
        if (n < 0)
        {
            string message = Libpcap.Text(Libpcap.GetError(_pcap));
            bool gone = LibC.IfNameToIndex(Name) != (uint)_ifindex;
            if (gone || n != -2)
            {
                RaiseFault(new LivePortFaultEventArgs(
                    Name,
                    gone ? LivePortFaultKind.InterfaceGone : LivePortFaultKind.IoError,
                    errno,
                    $"pcap port '{Name}': {(gone ? "interface disappeared during" : "fatal error in")} pcap_dispatch: {message}; the port has stopped"));
            }
        }

        int got = batch.Count - first;
        Counters.AddRx(got, _fillBytes);
        return got;
    }

    [UnmanagedCallersOnly]
    private static void OnPacket(byte* user, Libpcap.PacketHeader* header, byte* bytes)
    {
        PcapPort port = (PcapPort)GCHandle.FromIntPtr((IntPtr)user).Target!;
        FrameBatch batch = port._filling!;
        int length = (int)header->CaptureLength;
        if (header->CaptureLength < header->Length || length > batch.FrameCapacity)
        {
            port.Counters.AddRxTruncated();
            return;
        }

        if (batch.Count == batch.Capacity)
        {
            return; // cannot happen: pcap_dispatch was asked for at most the free slots
        }

        new ReadOnlySpan<byte>(bytes, length).CopyTo(batch.SlotSpan(batch.Count));
        batch.Commit(0, length);
        port._fillBytes += length;
    }

    private protected override bool SendCore(ReadOnlySpan<byte> frame)
    {
        int n;
        int errno;
        lock (_sendLock)
        {
            fixed (byte* p = frame)
            {
                n = Libpcap.Inject(_pcap, p, (nuint)frame.Length);
                errno = LibC.LastErrno;
            }
        }

        if (n < 0)
        {
            return OnSendError(errno, "pcap_inject");
        }

        Counters.AddTx(1, frame.Length);
        return true;
    }

    private protected override bool IsInterfaceGone(int errno) =>
        errno is LibC.ENODEV or LibC.ENXIO or LibC.EBADFD
        || (errno == LibC.ENETDOWN && LibC.IfNameToIndex(Name) != (uint)_ifindex);

    private protected override void RefreshKernelCounters()
    {
        Libpcap.Stat stat;
        if (Libpcap.Stats(_pcap, &stat) == 0)
        {
            // pcap_stats is cumulative: add what is new since the last look.
            uint seen = Interlocked.Exchange(ref _kernelDropsSeen, stat.Dropped);
            if (stat.Dropped > seen)
            {
                Counters.AddRxDropped(stat.Dropped - seen);
            }
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        Libpcap.Close(_pcap);
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}
