using Datapath.Packets;

namespace Datapath.Io.Live;

/// <summary>How <see cref="TapPort.Open"/> creates or attaches a TAP device.</summary>
public sealed class TapPortOptions
{
    /// <summary>Interface name (at most 15 bytes); null lets the kernel pick <c>tapN</c>.
    /// An existing persistent TAP of that name is attached to, otherwise a new one is created.</summary>
    public string? Name { get; init; }

    /// <summary>MTU to set, or null to keep the kernel's (1500).</summary>
    public int? Mtu { get; init; }

    /// <summary>MAC address of the kernel side of the TAP, or null for the kernel's random one.</summary>
    public MacAddress? MacAddress { get; init; }

    /// <summary>Bring the link up (IFF_UP) after opening. Default true.</summary>
    public bool BringUp { get; init; } = true;

    /// <summary>Make the TAP persistent (TUNSETPERSIST) while we hold it, so it survives the
    /// descriptor being closed by someone else. A TAP we created is still removed on Dispose.</summary>
    public bool Persistent { get; init; }

    /// <summary>
    /// Create the device with IFF_MULTI_QUEUE so that <see cref="TapPort.AttachQueue"/> can open more
    /// queues on it (one per worker thread; the kernel spreads the frames it transmits into the TAP
    /// over the queues by a symmetric flow hash). Default false. Attaching to an existing TAP needs
    /// the flag to match how that TAP was created.
    /// </summary>
    public bool MultiQueue { get; init; }
    /// <summary>Owner uid given with TUNSETOWNER, or null.</summary>
    public int? OwnerUid { get; init; }

    /// <summary>Group gid given with TUNSETGROUP, or null.</summary>
    public int? GroupGid { get; init; }
}
