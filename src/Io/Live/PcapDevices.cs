using System.Net.Sockets;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Datapath.Io.Live;

/// <summary>
/// The interfaces libpcap sees (pcap_findalldevs through SharpPcap's PcapInterface): what
/// <c>datapath list-devices</c> prints and where <see cref="PcapPort.Open"/> finds its interface.
/// </summary>
public static class PcapDevices
{
    private const uint IfLoopback = 0x1;          // PCAP_IF_LOOPBACK
    private const uint IfUp = 0x2;                // PCAP_IF_UP
    private const uint IfRunning = 0x4;           // PCAP_IF_RUNNING
    private const uint IfWireless = 0x8;          // PCAP_IF_WIRELESS
    private const uint IfStatusMask = 0x30;       // PCAP_IF_CONNECTION_STATUS
    private const uint IfConnected = 0x10;        // PCAP_IF_CONNECTION_STATUS_CONNECTED
    private const uint IfDisconnected = 0x20;     // PCAP_IF_CONNECTION_STATUS_DISCONNECTED

    /// <summary>Every interface libpcap lists, in its order; throws <see cref="LiveIoException"/> when libpcap is missing or fails.</summary>
    public static IReadOnlyList<PcapDeviceInfo> List()
    {
        PcapLibrary.EnsureAvailable("listing capture devices");
        IReadOnlyList<PcapInterface> all;
        try
        {
            all = PcapInterface.GetAllPcapInterfaces();
        }
        catch (PcapException ex)
        {
            throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_findalldevs failed: {ex.Message}");
        }

        return [.. all.Select(Describe)];
    }

    /// <summary>libpcap's view of <paramref name="name"/>, or null when it does not list it.</summary>
    internal static PcapInterface? Find(string name)
    {
        try
        {
            return PcapInterface.GetAllPcapInterfaces().FirstOrDefault(i => i.Name == name);
        }
        catch (PcapException ex)
        {
            throw new LiveIoException(LiveIoErrorKind.Environment, $"pcap_findalldevs failed while looking for '{name}': {ex.Message}");
        }
    }

    private static PcapDeviceInfo Describe(PcapInterface i)
    {
        List<string> flags = [];
        if ((i.Flags & IfUp) != 0)
        {
            flags.Add("up");
        }

        if ((i.Flags & IfRunning) != 0)
        {
            flags.Add("running");
        }

        if ((i.Flags & IfLoopback) != 0)
        {
            flags.Add("loopback");
        }

        if ((i.Flags & IfWireless) != 0)
        {
            flags.Add("wireless");
        }

        switch (i.Flags & IfStatusMask)
        {
            case IfConnected:
                flags.Add("connected");
                break;
            case IfDisconnected:
                flags.Add("disconnected");
                break;
        }

        List<string> addresses = [];
        string? mac = null;
        foreach (PcapAddress a in i.Addresses)
        {
            if (a.Addr?.ipAddress is { } ip && ip.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                addresses.Add(a.Netmask?.ipAddress is { } mask ? $"{ip}/{PrefixLength(mask.GetAddressBytes())}" : ip.ToString());
            }
            else if (a.Addr?.hardwareAddress is { } hw && hw.GetAddressBytes().Length == 6)
            {
                mac = string.Join(':', hw.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        return new PcapDeviceInfo(i.Name, i.Description ?? string.Empty, mac, addresses, flags);
    }

    private static int PrefixLength(byte[] mask)
    {
        int bits = 0;
        foreach (byte b in mask)
        {
            bits += System.Numerics.BitOperations.PopCount(b);
        }

        return bits;
    }
}
