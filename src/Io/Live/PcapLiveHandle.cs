using SharpPcap.LibPcap;

namespace Datapath.Io.Live;

/// <summary>
/// SharpPcap's live device with the one thing it keeps protected: the selectable file
/// descriptor (pcap_get_selectable_fd, taken at Open on Linux), which <see cref="PcapPort"/>
/// polls between non-blocking reads with its own timeout.
/// </summary>
internal sealed class PcapLiveHandle : LibPcapLiveDevice
{
    public PcapLiveHandle(PcapInterface pcapInterface)
        : base(pcapInterface)
    {
    }

    /// <summary>The descriptor to poll for readability; -1 before Open.</summary>
    public int SelectableFd => FileDescriptor;
}
