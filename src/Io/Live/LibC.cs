using System.Runtime.InteropServices;

namespace Datapath.Io.Live;

/// <summary>
/// The libc calls the live ports make (x86-64/arm64 Linux ABI). Every import sets the
/// thread's last P/Invoke error, read with <see cref="Marshal.GetLastPInvokeError"/>.
/// Struct layouts below are the 64-bit Linux ones; <c>LibCLayoutTests</c> pins their sizes.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    // errno values (asm-generic/errno-base.h, errno.h)
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EBADFD = 77;
    public const int EMSGSIZE = 90;
    public const int ENETDOWN = 100;
    public const int ENOBUFS = 105;

    // open(2) flags
    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    // socket(2)
    public const int AF_INET = 2;
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_RCVBUFFORCE = 33;
    public const int SO_SNDBUFFORCE = 32;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_TRUNC = 0x20;

    // mmap(2)
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x1;
    public static readonly void* MapFailed = (void*)-1;

    // poll(2)
    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nsType);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, uint addressLength);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint valueLength);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* valueLength);

    [LibraryImport(Lib, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Lib, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport(Lib, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);

    /// <summary>errno of the last call on this thread.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>"No such device (ENODEV, errno 19)": strerror text plus the symbolic name.</summary>
    public static string Describe(int errno)
    {
        string text = Marshal.GetPInvokeErrorMessage(errno);
        string? symbol = errno switch
        {
            EPERM => "EPERM",
            ENOENT => "ENOENT",
            EINTR => "EINTR",
            EIO => "EIO",
            ENXIO => "ENXIO",
            EAGAIN => "EAGAIN",
            ENOMEM => "ENOMEM",
            EACCES => "EACCES",
            EBUSY => "EBUSY",
            ENODEV => "ENODEV",
            EINVAL => "EINVAL",
            EBADFD => "EBADFD",
            EMSGSIZE => "EMSGSIZE",
            ENETDOWN => "ENETDOWN",
            ENOBUFS => "ENOBUFS",
            _ => null,
        };
        return symbol is null ? $"{text} (errno {errno})" : $"{text} ({symbol}, errno {errno})";
    }

    /// <summary>True for the errors a read or send gets once its interface is gone.</summary>
    public static bool MeansInterfaceGone(int errno) =>
        errno is ENODEV or ENXIO or ENETDOWN or EBADFD;
}
