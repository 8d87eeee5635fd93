using System.Runtime.InteropServices;
using System.Text;
using Datapath.Packets;

namespace Datapath.Io.Live;

/// <summary>
/// Interface configuration through the classic SIOC* ioctls on an AF_INET datagram socket
/// (netdevice(7)): flags (IFF_UP), MTU, hardware address. They act in the caller's network
/// namespace, so configure a TAP before moving it elsewhere.
/// </summary>
internal static unsafe class InterfaceControl
{
    public const int NameCapacity = 16; // IFNAMSIZ, including the terminating NUL

    private const nuint SIOCGIFFLAGS = 0x8913;
    private const nuint SIOCSIFFLAGS = 0x8914;
    private const nuint SIOCGIFMTU = 0x8921;
    private const nuint SIOCSIFMTU = 0x8922;
    private const nuint SIOCSIFHWADDR = 0x8924;
    private const nuint SIOCGIFHWADDR = 0x8927;
    private const short IFF_UP = 0x1;
    private const ushort ARPHRD_ETHER = 1;

    /// <summary>struct ifreq: a 16-byte name then a 24-byte union (flags, mtu, ifindex or a sockaddr).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReq
    {
        [FieldOffset(0)]
        public fixed byte Name[NameCapacity];

        [FieldOffset(16)]
        public short Flags;

        [FieldOffset(16)]
        public int Value;

        [FieldOffset(16)]
        public ushort AddressFamily;

        [FieldOffset(18)]
        public fixed byte Address[14];
    }

    /// <summary>Throws an input-class error unless <paramref name="name"/> is a valid interface name (1..15 bytes, no '/', no space).</summary>
    public static void ValidateName(string name)
    {
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) >= NameCapacity || name.Contains('/', StringComparison.Ordinal)
            || name.Any(char.IsWhiteSpace) || name is "." or "..")
        {
            throw new LiveIoException(
                LiveIoErrorKind.Input,
                $"'{name}' is not a valid interface name: 1 to {NameCapacity - 1} bytes, no '/' and no white space");
        }
    }

    public static IfReq Request(string? name)
    {
        IfReq req = default;
        if (name is not null)
        {
            Span<byte> dst = new(req.Name, NameCapacity - 1);
            Encoding.UTF8.GetBytes(name, dst);
        }

        return req;
    }

    public static string NameOf(in IfReq req)
    {
        fixed (byte* p = req.Name)
        {
            ReadOnlySpan<byte> s = new(p, NameCapacity);
            int nul = s.IndexOf((byte)0);
            return Encoding.UTF8.GetString(nul < 0 ? s : s[..nul]);
        }
    }

    /// <summary>if_nametoindex, or throws naming the interface.</summary>
    public static int IndexOf(string name)
    {
        uint index = LibC.IfNameToIndex(name);
        if (index == 0)
        {
            throw LiveIoException.FromErrno(name, "if_nametoindex", LibC.LastErrno);
        }

        return (int)index;
    }

    /// <summary>True when an interface of that name exists in this network namespace.</summary>
    public static bool Exists(string name) => LibC.IfNameToIndex(name) != 0;

    public static void SetUp(string name, bool up)
    {
        using ControlSocket s = new(name);
        IfReq req = Request(name);
        s.Ioctl(SIOCGIFFLAGS, ref req, "SIOCGIFFLAGS");
        req.Flags = up ? (short)(req.Flags | IFF_UP) : (short)(req.Flags & ~IFF_UP);
        s.Ioctl(SIOCSIFFLAGS, ref req, up ? "SIOCSIFFLAGS (link up)" : "SIOCSIFFLAGS (link down)");
    }

    public static void SetMtu(string name, int mtu)
    {
        using ControlSocket s = new(name);
        IfReq req = Request(name);
        req.Value = mtu;
        s.Ioctl(SIOCSIFMTU, ref req, $"SIOCSIFMTU (mtu {mtu})");
    }

    public static int GetMtu(string name)
    {
        using ControlSocket s = new(name);
        IfReq req = Request(name);
        s.Ioctl(SIOCGIFMTU, ref req, "SIOCGIFMTU");
        return req.Value;
    }

    public static void SetMacAddress(string name, MacAddress mac)
    {
        using ControlSocket s = new(name);
        IfReq req = Request(name);
        req.AddressFamily = ARPHRD_ETHER;
        mac.Write(new Span<byte>(req.Address, MacAddress.Length));
        s.Ioctl(SIOCSIFHWADDR, ref req, $"SIOCSIFHWADDR ({mac})");
    }

    public static MacAddress GetMacAddress(string name)
    {
        using ControlSocket s = new(name);
        IfReq req = Request(name);
        s.Ioctl(SIOCGIFHWADDR, ref req, "SIOCGIFHWADDR");
        return MacAddress.Read(new ReadOnlySpan<byte>(req.Address, MacAddress.Length));
    }

    /// <summary>An AF_INET datagram socket used only as an ioctl handle.</summary>
    private readonly struct ControlSocket : IDisposable
    {
        private readonly int _fd;
        private readonly string _name;

        public ControlSocket(string name)
        {
            _name = name;
            _fd = LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
            if (_fd < 0)
            {
                throw LiveIoException.FromErrno(name, "socket(AF_INET, SOCK_DGRAM) for interface ioctls", LibC.LastErrno);
            }
        }

        public void Ioctl(nuint request, ref IfReq req, string what)
        {
            fixed (IfReq* p = &req)
            {
                if (LibC.Ioctl(_fd, request, p) < 0)
                {
                    throw LiveIoException.FromErrno(_name, $"ioctl {what}", LibC.LastErrno);
                }
            }
        }

        public void Dispose() => LibC.Close(_fd);
    }
}
