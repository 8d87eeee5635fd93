using System.Runtime.InteropServices;

namespace Datapath.Io.Live;

/// <summary>
/// P/Invoke surface of libpcap (Debian package libpcap0.8, soname libpcap.so.0.8, 1.10.x).
/// Call <see cref="EnsureAvailable"/> before any import: it turns a missing library into an
/// environment-class <see cref="LiveIoException"/> that says how to install it.
/// </summary>
internal static unsafe partial class Libpcap
{
    public const string LibraryName = "libpcap.so.0.8";
    public const string InstallHint = "install it with `DEBIAN_FRONTEND=noninteractive apt-get install -y libpcap0.8` (as root)";
    public const int ErrorBufferSize = 256; // PCAP_ERRBUF_SIZE
    public const int DltEthernet = 1;       // DLT_EN10MB
    public const int DirectionIn = 1;       // PCAP_D_IN
    public const uint NetmaskUnknown = 0xffffffff;

    public const int PCAP_ERROR = -1;
    public const int PCAP_ERROR_NO_SUCH_DEVICE = -5;
    public const int PCAP_ERROR_PERM_DENIED = -8;
    public const int PCAP_ERROR_IFACE_NOT_UP = -9;

    private static readonly Lazy<string?> s_loadError = new(Probe);

    [StructLayout(LayoutKind.Sequential)]
    public struct BpfProgram
    {
        public uint Length;
        public ulong* Instructions; // struct bpf_insn { u16 code; u8 jt; u8 jf; u32 k; } = 8 bytes
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public long Seconds;
        public long Microseconds;
        public uint CaptureLength;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    /// <summary>Throws <see cref="LiveIoException"/> (environment) when libpcap.so.0.8 cannot be loaded.</summary>
    public static void EnsureAvailable(string purpose)
    {
        if (s_loadError.Value is { } error)
        {
            throw new LiveIoException(
                LiveIoErrorKind.Environment,
                $"{purpose} needs libpcap, which is not installed ({LibraryName}: {error}); {InstallHint}");
        }
    }

    private static string? Probe()
    {
        if (NativeLibrary.TryLoad(LibraryName, typeof(Libpcap).Assembly, null, out IntPtr handle))
        {
            NativeLibrary.Free(handle);
            return null;
        }

        return "cannot load shared object";
    }

    public static string Text(byte* s) => s is null ? string.Empty : Marshal.PtrToStringUTF8((IntPtr)s) ?? string.Empty;

    /// <summary>
    /// Compiles a tcpdump filter expression for Ethernet frames into classic BPF instructions
    /// (bpf_insn and the kernel's sock_filter share one 8-byte layout), or throws an input-class error.
    /// </summary>
    public static ulong[] CompileFilter(string interfaceName, string filter, int snapLength)
    {
        EnsureAvailable($"the BPF filter '{filter}' on '{interfaceName}'");
        IntPtr dead = OpenDead(DltEthernet, snapLength);
        if (dead == IntPtr.Zero)
        {
            throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_open_dead failed while compiling the filter for '{interfaceName}'");
        }

        try
        {
            BpfProgram program;
            if (Compile(dead, &program, filter, 1, NetmaskUnknown) < 0)
            {
                throw new LiveIoException(
                    LiveIoErrorKind.Input,
                    $"BPF filter for '{interfaceName}' does not compile: '{filter}': {Text(GetError(dead))}");
            }

            try
            {
                return new ReadOnlySpan<ulong>(program.Instructions, (int)program.Length).ToArray();
            }
            finally
            {
                FreeCode(&program);
            }
        }
        finally
        {
            Close(dead);
        }
    }

    [LibraryImport(LibraryName, EntryPoint = "pcap_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr Create(string source, byte* errorBuffer);

    [LibraryImport(LibraryName, EntryPoint = "pcap_open_dead")]
    public static partial IntPtr OpenDead(int linkType, int snapLength);

    [LibraryImport(LibraryName, EntryPoint = "pcap_set_snaplen")]
    public static partial int SetSnapLength(IntPtr p, int snapLength);

    [LibraryImport(LibraryName, EntryPoint = "pcap_set_promisc")]
    public static partial int SetPromiscuous(IntPtr p, int on);

    [LibraryImport(LibraryName, EntryPoint = "pcap_set_immediate_mode")]
    public static partial int SetImmediateMode(IntPtr p, int on);

    [LibraryImport(LibraryName, EntryPoint = "pcap_set_buffer_size")]
    public static partial int SetBufferSize(IntPtr p, int bytes);

    [LibraryImport(LibraryName, EntryPoint = "pcap_activate")]
    public static partial int Activate(IntPtr p);

    [LibraryImport(LibraryName, EntryPoint = "pcap_setdirection")]
    public static partial int SetDirection(IntPtr p, int direction);

    [LibraryImport(LibraryName, EntryPoint = "pcap_setnonblock")]
    public static partial int SetNonBlock(IntPtr p, int on, byte* errorBuffer);

    [LibraryImport(LibraryName, EntryPoint = "pcap_get_selectable_fd")]
    public static partial int GetSelectableFd(IntPtr p);

    [LibraryImport(LibraryName, EntryPoint = "pcap_compile", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Compile(IntPtr p, BpfProgram* program, string filter, int optimize, uint netmask);

    [LibraryImport(LibraryName, EntryPoint = "pcap_setfilter")]
    public static partial int SetFilter(IntPtr p, BpfProgram* program);

    [LibraryImport(LibraryName, EntryPoint = "pcap_freecode")]
    public static partial void FreeCode(BpfProgram* program);

    [LibraryImport(LibraryName, EntryPoint = "pcap_dispatch", SetLastError = true)]
    public static partial int Dispatch(IntPtr p, int count, delegate* unmanaged<byte*, PacketHeader*, byte*, void> callback, byte* user);

    [LibraryImport(LibraryName, EntryPoint = "pcap_inject", SetLastError = true)]
    public static partial int Inject(IntPtr p, byte* buffer, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "pcap_stats")]
    public static partial int Stats(IntPtr p, Stat* stat);

    [LibraryImport(LibraryName, EntryPoint = "pcap_geterr")]
    public static partial byte* GetError(IntPtr p);

    [LibraryImport(LibraryName, EntryPoint = "pcap_statustostr")]
    public static partial byte* StatusToString(int status);

    [LibraryImport(LibraryName, EntryPoint = "pcap_close")]
    public static partial void Close(IntPtr p);

    [LibraryImport(LibraryName, EntryPoint = "pcap_lib_version")]
    public static partial byte* LibraryVersion();
}
