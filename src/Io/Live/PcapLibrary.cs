using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Datapath.Io.Live;

/// <summary>
/// What the libpcap users share, all through SharpPcap (our one P/Invoke is PcapDirection): whether libpcap
/// (Debian package libpcap0.8, soname libpcap.so.0.8) is installed, its version, and compiling a
/// tcpdump filter to classic BPF for the AF_PACKET port. Call <see cref="EnsureAvailable"/> before
/// touching SharpPcap: it turns a missing library into an environment-class
/// <see cref="LiveIoException"/> that says how to install it (SharpPcap itself would throw a
/// DllNotFoundException from a type initializer).
/// </summary>
internal static unsafe class PcapLibrary
{
    public const string LibraryName = "libpcap.so.0.8";
    public const string InstallHint = "install it with `DEBIAN_FRONTEND=noninteractive apt-get install -y libpcap0.8` (as root)";

    /// <summary>PCAP_NETMASK_UNKNOWN: filters that need the netmask ("ip broadcast") are refused rather than guessed.</summary>
    public const uint NetmaskUnknown = 0xffffffff;

    private static readonly Lazy<string?> s_loadError = new(Probe);

    /// <summary>struct bpf_program, as SharpPcap's <see cref="BpfProgram"/> handle points at it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeBpfProgram
    {
        public uint Length;
        public ulong* Instructions; // struct bpf_insn { u16 code; u8 jt; u8 jf; u32 k; } = 8 bytes
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

    /// <summary>libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)".</summary>
    public static string Version
    {
        get
        {
            EnsureAvailable("reading the libpcap version");
            return Pcap.Version;
        }
    }

    private static string? Probe()
    {
        if (NativeLibrary.TryLoad(LibraryName, typeof(PcapLibrary).Assembly, null, out IntPtr handle))
        {
            NativeLibrary.Free(handle);
            return null;
        }

        return "cannot load shared object";
    }

    /// <summary>
    /// Compiles a tcpdump filter expression for Ethernet frames into classic BPF instructions
    /// (bpf_insn and the kernel's sock_filter share one 8-byte layout), or throws an input-class error.
    /// </summary>
    public static ulong[] CompileFilter(string interfaceName, string filter)
    {
        EnsureAvailable($"the BPF filter '{filter}' on '{interfaceName}'");
        BpfProgram program;
        try
        {
            program = BpfProgram.Create(PacketDotNet.LinkLayers.Ethernet, filter, 1, NetmaskUnknown);
        }
        catch (PcapException ex)
        {
            throw FilterError(interfaceName, filter, ex.Message);
        }

        using (program)
        {
            NativeBpfProgram* native = (NativeBpfProgram*)program.DangerousGetHandle();
            return new ReadOnlySpan<ulong>(native->Instructions, (int)native->Length).ToArray();
        }
    }

    /// <summary>The input-class error of a filter that does not compile, with libpcap's reason.</summary>
    public static LiveIoException FilterError(string interfaceName, string filter, string reason) =>
        new(LiveIoErrorKind.Input, $"BPF filter for '{interfaceName}' does not compile: '{filter}': {reason}");

    /// <summary>
    /// The errno behind a libpcap error text such as "send: No buffer space available"
    /// (SharpPcap reports pcap_sendpacket's failure as text only): the errno whose strerror ends
    /// the message, else EIO.
    /// </summary>
    public static int ErrnoOf(string message)
    {
        ReadOnlySpan<int> candidates =
        [
            LibC.ENOBUFS, LibC.EAGAIN, LibC.EINTR, LibC.ENODEV, LibC.ENXIO, LibC.ENETDOWN,
            LibC.EBADFD, LibC.EMSGSIZE, LibC.EPERM, LibC.EACCES, LibC.EINVAL, LibC.ENOMEM,
        ];
        foreach (int errno in candidates)
        {
            if (message.EndsWith(Marshal.GetPInvokeErrorMessage(errno), StringComparison.Ordinal))
            {
                return errno;
            }
        }

        return LibC.EIO;
    }
}
