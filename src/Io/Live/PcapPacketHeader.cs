using System.Runtime.InteropServices;

namespace Datapath.Io.Live;

/// <summary>struct pcap_pkthdr on 64-bit Linux, as pcap_next_ex (SharpPcap's GetNextPacketPointers) hands it over.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PcapPacketHeader
{
    public long Seconds;
    public long Microseconds;
    public uint CaptureLength;
    public uint Length;
}
