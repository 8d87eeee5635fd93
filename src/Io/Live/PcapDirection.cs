using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace Datapath.Io.Live;

/// <summary>
/// pcap_setdirection, the one libpcap call SharpPcap 6.3.1 does not expose, on a SharpPcap handle.
/// The "inbound" filter is no substitute: libpcap 1.10 filters the TPACKET_V3 block that is being
/// filled when a filter is set in userland, where the packet-type load always fails, so the first
/// frames after Open would be lost.
/// </summary>
internal static partial class PcapDirection
{
    private const int DirectionIn = 1; // PCAP_D_IN

    /// <summary>Makes <paramref name="handle"/> capture only frames the interface receives; false when libpcap refuses.</summary>
    public static bool SetInbound(PcapHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return SetDirection(handle.DangerousGetHandle(), DirectionIn) == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport(PcapLibrary.LibraryName, EntryPoint = "pcap_setdirection")]
    private static partial int SetDirection(IntPtr p, int direction);
}
