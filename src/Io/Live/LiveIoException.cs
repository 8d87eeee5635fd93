namespace Datapath.Io.Live;

/// <summary>
/// Opening or configuring a live port failed. The message names the interface, the operation and
/// the errno text, and says how to fix it when we know (install libpcap, run as root).
/// </summary>
public sealed class LiveIoException : Exception
{
    /// <summary>Makes the exception.</summary>
    public LiveIoException(LiveIoErrorKind kind, string message, int errno = 0)
        : base(message)
    {
        Kind = kind;
        Errno = errno;
    }

    /// <summary>Makes an environment-class exception.</summary>
    public LiveIoException()
        : this(LiveIoErrorKind.Environment, "live I/O failed")
    {
    }

    /// <summary>Makes an environment-class exception.</summary>
    public LiveIoException(string message)
        : this(LiveIoErrorKind.Environment, message)
    {
    }

    /// <summary>Makes an environment-class exception.</summary>
    public LiveIoException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = LiveIoErrorKind.Environment;
    }

    /// <summary>Whom to blame; <see cref="ExitCode"/> follows from it.</summary>
    public LiveIoErrorKind Kind { get; }

    /// <summary>The errno of the failed call, 0 when none.</summary>
    public int Errno { get; }

    /// <summary>The DESIGN.md exit code: 2 for environment problems, 1 for bad input.</summary>
    public int ExitCode => Kind == LiveIoErrorKind.Environment ? 2 : 1;

    /// <summary>Builds "OPERATION on IFACE failed: strerror (ESYM, errno N)" plus a hint for EPERM/EACCES.</summary>
    internal static LiveIoException FromErrno(string interfaceName, string operation, int errno)
    {
        string hint = errno is LibC.EPERM or LibC.EACCES
            ? " — live ports need root or CAP_NET_ADMIN and CAP_NET_RAW"
            : errno is LibC.ENODEV or LibC.ENXIO
                ? $" — is there an interface named '{interfaceName}' in this network namespace? (ip link show)"
                : string.Empty;
        return new LiveIoException(
            LiveIoErrorKind.Environment,
            $"{operation} on interface '{interfaceName}' failed: {LibC.Describe(errno)}{hint}",
            errno);
    }
}
