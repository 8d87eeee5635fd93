namespace Datapath.Io.Live;

// TAP port
// ========
//
// What?
// -----
// A TAP device (Documentation/networking/tuntap.rst): the kernel hands us every frame it transmits
// on the interface, and every frame we write appears as received on it. The other side of the
// TAP is a namespace, a VM or the host stack.
//
// Design
// ------
// open("/dev/net/tun", O_RDWR|O_NONBLOCK) + ioctl(TUNSETIFF, {name, IFF_TAP|IFF_NO_PI}) creates the
// device or attaches to an existing persistent one; the ifreq comes back with the kernel's name.
// Link up, MTU and MAC go through SIOC* ioctls on an AF_INET socket (InterfaceControl). Receive
// reads frames until EAGAIN (one frame per read(2), up to the batch's capacity) and polls only
// when nothing was ready, so a busy port makes no poll calls. IFF_NO_PI: no 4-byte packet-info
// prefix; no IFF_VNET_HDR: the kernel finishes checksums and segments before handing us frames.
// With IFF_MULTI_QUEUE (TapPortOptions.MultiQueue) AttachQueue opens further queues of the same
// device, each a TapPort of its own fd: the kernel picks the queue of each frame it transmits into
// the TAP from a symmetric flow hash (tun_automq_select_queue), or from the queue that last wrote
// that flow, so both directions of a connection and all its frames meet on one queue.
//
// Invariants
// ----------
//  - _fd is open from Open until Dispose; Created says whether Dispose removes the device.
//  - Only the queue Open returned reads the device's counters (tx_dropped is per device, not per
//    queue); attached queues never remove the device. Dispose the attached queues first.
//  - A TAP we created and made persistent gets TUNSETPERSIST 0 before close, so close removes it; Dispose
//    returns when the device is gone (a child forked meanwhile may hold a copy of the fd until its exec).
//
// Thread-safety
// -------------
// As ILivePort: one receiver, concurrent senders (write(2) on a TAP is atomic per frame).
//
// Cost
// ----
// One read(2) per frame received plus one poll(2) per idle wait; one write(2) per frame sent.
// No allocation after Open.

/// <summary>A TAP device through /dev/net/tun (see the design notes in the source).</summary>
public sealed unsafe class TapPort : LivePort
{
    private const string CloneDevice = "/dev/net/tun";
    private const nuint TUNSETIFF = 0x400454ca;
    private const nuint TUNSETPERSIST = 0x400454cb;
    private const nuint TUNSETOWNER = 0x400454cc;
    private const nuint TUNSETGROUP = 0x400454ce;
    private const nuint TUNGETIFF = 0x800454d2;
    private const nuint TUNGETDEVNETNS = 0x54e3;
    private const int CLONE_NEWNET = 0x40000000;
    private const short IFF_TAP = 0x0002;
    private const short IFF_NO_PI = 0x1000;
    private const short IFF_MULTI_QUEUE = 0x0100;

    private readonly int _fd;
    private readonly bool _persistent;
    private readonly bool _multiQueue;
    private readonly bool _readsDeviceCounters;
    private readonly Lock _kernelDropsLock = new();
    private long _kernelQueueDrops;

    private TapPort(string name, int fd, bool created, bool persistent, bool multiQueue, bool readsDeviceCounters)
        : base(name)
    {
        _fd = fd;
        Created = created;
        _persistent = persistent;
        _multiQueue = multiQueue;
        _readsDeviceCounters = readsDeviceCounters;
    }

    /// <inheritdoc/>
    public override LivePortBackend Backend => LivePortBackend.Tap;

    /// <summary>True when this port created the device (then Dispose removes it).</summary>
    public bool Created { get; }

    /// <summary>Creates or attaches to a TAP device and configures it; throws <see cref="LiveIoException"/> naming the device and errno.</summary>
    public static TapPort Open(TapPortOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string label = options.Name ?? "tap%d";
        if (options.Name is not null)
        {
            InterfaceControl.ValidateName(options.Name);
        }

        int fd = LibC.Open(CloneDevice, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = LibC.LastErrno;
            if (errno is LibC.ENOENT or LibC.ENODEV)
            {
                throw new LiveIoException(
                    LiveIoErrorKind.Environment,
                    $"cannot create TAP '{label}': {CloneDevice} is missing ({LibC.Describe(errno)}); load the tun module (modprobe tun) or run where {CloneDevice} exists",
                    errno);
            }

            throw LiveIoException.FromErrno(label, $"open {CloneDevice}", errno);
        }

        bool existed = options.Name is not null && InterfaceControl.Exists(options.Name);
        bool created = false;
        try
        {
            InterfaceControl.IfReq req = InterfaceControl.Request(options.Name);
            req.Flags = (short)(IFF_TAP | IFF_NO_PI | (options.MultiQueue ? IFF_MULTI_QUEUE : 0));
            if (LibC.Ioctl(fd, TUNSETIFF, &req) < 0)
            {
                int errno = LibC.LastErrno;
                string why = errno is LibC.EBUSY or LibC.EINVAL && existed
                    ? options.MultiQueue
                        ? " (an interface of that name exists and is not a free multi-queue TAP)"
                        : " (an interface of that name exists and is not a free TAP)"
                    : string.Empty;
                throw LiveIoException.FromErrno(label, $"ioctl TUNSETIFF (IFF_TAP|IFF_NO_PI{(options.MultiQueue ? "|IFF_MULTI_QUEUE" : "")})" + why, errno);
            }

            string name = InterfaceControl.NameOf(req);
            created = !existed;
            if (options.Persistent)
            {
                TunIoctl(fd, TUNSETPERSIST, 1, name, "TUNSETPERSIST");
            }

            if (options.OwnerUid is { } uid)
            {
                TunIoctl(fd, TUNSETOWNER, (nuint)uid, name, "TUNSETOWNER");
            }

            if (options.GroupGid is { } gid)
            {
                TunIoctl(fd, TUNSETGROUP, (nuint)gid, name, "TUNSETGROUP");
            }

            if (options.MacAddress is { } mac)
            {
                InterfaceControl.SetMacAddress(name, mac);
            }

            if (options.Mtu is { } mtu)
            {
                InterfaceControl.SetMtu(name, mtu);
            }

            if (options.BringUp)
            {
                InterfaceControl.SetUp(name, true);
            }

            return new TapPort(name, fd, created, options.Persistent, options.MultiQueue, readsDeviceCounters: true);
        }
        catch
        {
            if (created && options.Persistent)
            {
                LibC.Ioctl(fd, TUNSETPERSIST, null);
            }

            LibC.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Opens one more queue of this multi-queue TAP (<see cref="TapPortOptions.MultiQueue"/>): a port of
    /// its own file descriptor on the same device, for another receive thread. Call it while the device
    /// is still in this network namespace (TUNSETIFF finds it by name). The queue never removes the
    /// device and does not read its counters; dispose it before this port.
    /// </summary>
    public TapPort AttachQueue()
    {
        if (!_multiQueue)
            throw new InvalidOperationException($"TAP '{Name}' was opened without MultiQueue");
        int fd = LibC.Open(CloneDevice, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
            throw LiveIoException.FromErrno(Name, $"open {CloneDevice}", LibC.LastErrno);
        InterfaceControl.IfReq req = InterfaceControl.Request(Name);
        req.Flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
        if (LibC.Ioctl(fd, TUNSETIFF, &req) < 0)
        {
            int errno = LibC.LastErrno;
            LibC.Close(fd);
            throw LiveIoException.FromErrno(Name, "ioctl TUNSETIFF (IFF_TAP|IFF_NO_PI|IFF_MULTI_QUEUE: attach a queue)", errno);
        }
        return new TapPort(Name, fd, created: false, persistent: false, multiQueue: true, readsDeviceCounters: false);
    }

    /// <summary>
    /// Adds what the kernel dropped on the TAP's queue since the last look to RxDropped: the device's
    /// tx_dropped (the kernel transmits into a TAP; a reader that falls behind leaves the queue full). The
    /// device may have moved to a pod's network namespace and been renamed (eth0 there), so it is found
    /// through the TAP's own fd: TUNGETIFF gives its name now, TUNGETDEVNETNS its namespace, and a thread
    /// of its own enters that namespace (setns) and reads /proc/thread-self/net/dev there, then ends.
    /// </summary>
    private protected override void RefreshKernelCounters()
    {
        if (!_readsDeviceCounters || QueueDrops() is not { } dropped)
            return;
        lock (_kernelDropsLock)
        {
            if (dropped > _kernelQueueDrops)
            {
                Counters.AddRxDropped(dropped - _kernelQueueDrops);
                _kernelQueueDrops = dropped;
            }
        }
    }

    private long? QueueDrops()
    {
        InterfaceControl.IfReq req = default;
        if (LibC.Ioctl(_fd, TUNGETIFF, &req) < 0)
            return null;
        string name = new string((sbyte*)req.Name).TrimEnd('\0');
        int ns = LibC.Ioctl(_fd, TUNGETDEVNETNS, null);
        if (ns < 0)
            return null;
        try
        {
            long? dropped = null;
            var reader = new Thread(() =>
            {
                if (LibC.SetNs(ns, CLONE_NEWNET) == 0)
                    dropped = ProcNetDev.TxDropped(File.ReadAllText("/proc/thread-self/net/dev"), name);
            }) { IsBackground = true, Name = "tap-counters" };
            reader.Start();
            reader.Join();
            return dropped;
        }
        finally
        {
            LibC.Close(ns);
        }
    }

    private static void TunIoctl(int fd, nuint request, nuint value, string name, string what)
    {
        if (LibC.Ioctl(fd, request, (void*)value) < 0)
        {
            throw LiveIoException.FromErrno(name, "ioctl " + what, LibC.LastErrno);
        }
    }

    private protected override void ReceiveCore(FrameBatch batch, int timeoutMs)
    {
        if (ReadReady(batch) == 0 && timeoutMs != 0 && Fault is null && WaitReadable(_fd, timeoutMs))
        {
            ReadReady(batch);
        }
    }

    private int ReadReady(FrameBatch batch)
    {
        long bytes = 0;
        int start = batch.Count;
        while (batch.Count < batch.Capacity)
        {
            nint n = LibC.Read(_fd, batch.SlotData(batch.Count), (nuint)batch.FrameCapacity);
            if (n <= 0)
            {
                if (n < 0)
                {
                    OnReceiveError(LibC.LastErrno, "read");
                }

                break;
            }

            batch.Commit(0, (int)n);
            bytes += n;
        }

        int got = batch.Count - start;
        Counters.AddRx(got, bytes);
        return got;
    }

    private protected override bool SendCore(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            nint n = LibC.Write(_fd, p, (nuint)frame.Length);
            if (n < 0)
            {
                int errno = LibC.LastErrno;
                if (errno == LibC.EIO)
                {
                    // tun drops writes while the link is down (IFF_UP clear): a drop, not an error.
                    Counters.AddTxDropped();
                    return false;
                }

                return OnSendError(errno, "write");
            }
        }

        Counters.AddTx(1, frame.Length);
        return true;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Created && _persistent)
        {
            LibC.Ioctl(_fd, TUNSETPERSIST, null);
        }

        LibC.Close(_fd);
        if (Created)
            AwaitRemoval();
    }

    /// <summary>
    /// The kernel removes a TAP at the close of its last file descriptor. Ours is O_CLOEXEC, but a process this
    /// one starts at the same moment (any thread's Process.Start: fork, then exec) holds a copy of every
    /// descriptor between its fork and its exec, so the TAP can outlive our close by that window. Dispose
    /// promises the device is gone: wait for the window to end (it is bounded by one exec; 2 s at most).
    /// </summary>
    private void AwaitRemoval()
    {
        for (int i = 0; i < 200 && InterfaceControl.Exists(Name); i++)
            Thread.Sleep(10);
    }
}
