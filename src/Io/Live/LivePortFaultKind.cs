namespace Datapath.Io.Live;

/// <summary>Why a live port stopped.</summary>
public enum LivePortFaultKind
{
    /// <summary>The interface disappeared or went down under us (ENODEV, ENXIO, ENETDOWN, EBADFD).</summary>
    InterfaceGone,

    /// <summary>Any other error that ends the port (for example libpcap reporting a fatal error).</summary>
    IoError,
}
