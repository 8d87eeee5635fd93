using SharpPcap;
using SharpPcap.LibPcap;

namespace Datapath.Io.Live;

// libpcap port
// ============
//
// What?
// -----
// An existing interface through libpcap (pcap_create/pcap_activate on Linux: a TPACKET_V3 ring),
// for when a BPF filter expression or libpcap's own handling is wanted. libpcap is reached through
// SharpPcap's LibPcapLiveDevice; the one libpcap call we declare ourselves is pcap_setdirection.
//
// Design
// ------
// Immediate mode (frames are handed over as they arrive, not when a ring block fills),
// non-blocking, direction PCAP_D_IN (we don't see what is sent on the interface, ours included;
// SharpPcap has no pcap_setdirection, so PcapDirection calls it on SharpPcap's handle), snap
// length 65535, the user's BPF filter through SharpPcap's Filter.
// ReceiveBatch calls SharpPcap's GetNextPacketPointers (pcap_next_ex, the pointer API: no
// PacketCapture, no PcapHeader object) until the batch is full or nothing is ready, copying each
// frame from libpcap's ring into the next batch slot: the one copy a mmap ring needs, no
// allocation (PcapPortTests proves 0 bytes per frame). When nothing is ready it polls libpcap's
// selectable fd (PcapLiveHandle). libpcap re-inserts VLAN tags itself. It does not complete the
// partial checksums of frames a local stack sent through a veth; the AF_PACKET port does.
// Sends are SharpPcap's SendPacket(ReadOnlySpan) (pcap_sendpacket) under a lock (a pcap_t is not
// documented as thread-safe). SharpPcap reports a refused send as a PcapException carrying
// libpcap's text only, so a refused send costs an exception and the errno is read back from the
// text (PcapLibrary.ErrnoOf); sends that succeed allocate nothing.
//
// Faults: a fatal pcap_next_ex error, or POLLERR while the interface no longer exists, stops the
// port with the libpcap message.
//
// Thread-safety
// -------------
// As ILivePort.
//
// Cost
// ----
// One pcap_next_ex per frame (libpcap walks its ring, no system call while frames are queued),
// one copy per frame, one send(2) per frame sent.

/// <summary>An existing interface through libpcap, by SharpPcap (see the design notes in the source).</summary>
public sealed unsafe class PcapPort : LivePort
{
    private const int SnapLength = 65535;

    private readonly PcapLiveHandle _device;
    private readonly int _selectableFd;
    private readonly int _ifindex;
    private readonly Lock _sendLock = new();
    private uint _kernelDropsSeen;

    private PcapPort(string name, PcapLiveHandle device, int ifindex)
        : base(name)
    {
        _device = device;
        _selectableFd = device.SelectableFd;
        _ifindex = ifindex;
    }

    /// <inheritdoc/>
    public override LivePortBackend Backend => LivePortBackend.Pcap;

    /// <summary>libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)"; throws when libpcap is missing.</summary>
    public static string LibraryVersion => PcapLibrary.Version;

    /// <summary>Null when <paramref name="filter"/> compiles for Ethernet frames, else libpcap's reason; throws <see cref="LiveIoException"/> when libpcap is missing.</summary>
    public static string? CheckFilter(string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        PcapLibrary.EnsureAvailable($"checking the BPF filter '{filter}'");
        return PcapDevice.CheckFilter(filter, out string? reason) ? null : reason ?? "pcap_compile failed";
    }

    /// <summary>Opens <paramref name="interfaceName"/> with libpcap; throws <see cref="LiveIoException"/> naming it and the error
    /// (environment class when libpcap is missing, with the command that installs it; input class when the filter does not compile).</summary>
    public static PcapPort Open(string interfaceName, PcapPortOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        options ??= new PcapPortOptions();
        InterfaceControl.ValidateName(interfaceName);
        PcapLibrary.EnsureAvailable($"the pcap port on '{interfaceName}'");
        int ifindex = InterfaceControl.IndexOf(interfaceName);
        PcapInterface pcapInterface = PcapDevices.Find(interfaceName)
            ?? throw new LiveIoException(LiveIoErrorKind.Environment, $"libpcap does not list interface '{interfaceName}' (see `datapath list-devices`)");
        PcapLiveHandle device = new(pcapInterface);
        try
        {
            Activate(device, interfaceName, options);
            if (!PcapDirection.SetInbound(device.Handle))
            {
                throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_setdirection(PCAP_D_IN) on interface '{interfaceName}' failed: {device.LastError}");
            }

            if (options.Filter is { Length: > 0 } filter)
            {
                SetFilter(device, interfaceName, filter);
            }

            try
            {
                device.NonBlockingMode = true;
            }
            catch (PcapException ex)
            {
                throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_setnonblock on interface '{interfaceName}' failed: {ex.Message}");
            }

            return new PcapPort(interfaceName, device, ifindex);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private static void Activate(PcapLiveHandle device, string interfaceName, PcapPortOptions options)
    {
        DeviceConfiguration configuration = new()
        {
            Mode = options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
            Snaplen = SnapLength,
            Immediate = true,
            BufferSize = options.BufferBytes,
        };
        try
        {
            device.Open(configuration);
        }
        catch (PcapException ex)
        {
            string detail = ex.Error switch
            {
                PcapError.Generic => LastErrorOr(device, ex.Message),
                PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied => $"permission denied ({LastErrorOr(device, ex.Error.ToString())}) — live ports need root or CAP_NET_RAW",
                var e => $"{e} ({LastErrorOr(device, ex.Message)})",
            };
            throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_activate on interface '{interfaceName}' failed: {detail}");
        }
    }

    private static string LastErrorOr(PcapLiveHandle device, string fallback)
    {
        string? text = device.Handle.IsInvalid || device.Handle.IsClosed ? null : device.LastError;
        return string.IsNullOrEmpty(text) ? fallback : text;
    }

    private static void SetFilter(PcapLiveHandle device, string interfaceName, string filter)
    {
        BpfProgram? program = BpfProgram.TryCreate(device.Handle, filter, 1, PcapLibrary.NetmaskUnknown);
        if (program is null)
        {
            throw PcapLibrary.FilterError(interfaceName, filter, device.LastError);
        }

        program.Dispose();
        try
        {
            device.Filter = filter;
        }
        catch (PcapException ex)
        {
            throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_setfilter('{filter}') on interface '{interfaceName}' failed: {ex.Message}");
        }
    }

    private protected override void ReceiveCore(FrameBatch batch, int timeoutMs)
    {
        if (ReadReady(batch) == 0 && timeoutMs != 0 && Fault is null)
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

                ReadReady(batch);
            }
        }
    }

    private int ReadReady(FrameBatch batch)
    {
        int first = batch.Count;
        long bytes = 0;
        while (batch.Count < batch.Capacity)
        {
            IntPtr header = IntPtr.Zero;
            IntPtr data = IntPtr.Zero;
            int status = _device.GetNextPacketPointers(ref header, ref data);
            if (status == 0)
            {
                break; // nothing ready (non-blocking)
            }

            if (status < 0)
            {
                Failed(status);
                break;
            }

            PcapPacketHeader* h = (PcapPacketHeader*)header;
            int length = (int)h->CaptureLength;
            if (h->CaptureLength < h->Length || length > batch.FrameCapacity)
            {
                Counters.AddRxTruncated();
                continue;
            }

            new ReadOnlySpan<byte>((void*)data, length).CopyTo(batch.SlotSpan(batch.Count));
            batch.Commit(0, length);
            bytes += length;
        }

        int got = batch.Count - first;
        Counters.AddRx(got, bytes);
        return got;
    }

    private void Failed(int status)
    {
        string message = _device.LastError;
        bool gone = LibC.IfNameToIndex(Name) != (uint)_ifindex;
        RaiseFault(new LivePortFaultEventArgs(
            Name,
            gone ? LivePortFaultKind.InterfaceGone : LivePortFaultKind.IoError,
            gone ? LibC.ENODEV : LibC.EIO,
            $"pcap port '{Name}': {(gone ? "interface disappeared during" : "fatal error in")} pcap_next_ex ({status}): {message}; the port has stopped"));
    }

    private protected override bool SendCore(ReadOnlySpan<byte> frame)
    {
        try
        {
            lock (_sendLock)
            {
                _device.SendPacket(frame);
            }
        }
        catch (PcapException ex)
        {
            return OnSendError(PcapLibrary.ErrnoOf(ex.Message), "pcap_sendpacket");
        }

        Counters.AddTx(1, frame.Length);
        return true;
    }

    private protected override bool IsInterfaceGone(int errno) =>
        errno is LibC.ENODEV or LibC.ENXIO or LibC.EBADFD
        || (errno == LibC.ENETDOWN && LibC.IfNameToIndex(Name) != (uint)_ifindex);

    private protected override void RefreshKernelCounters()
    {
        ICaptureStatistics stat;
        try
        {
            stat = _device.Statistics;
        }
        catch (PcapException)
        {
            return; // pcap_stats failed: keep the counters we have
        }

        // pcap_stats is cumulative: add what is new since the last look.
        uint dropped = stat.DroppedPackets;
        uint seen = Interlocked.Exchange(ref _kernelDropsSeen, dropped);
        if (dropped > seen)
        {
            Counters.AddRxDropped(dropped - seen);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => _device.Dispose();
}
