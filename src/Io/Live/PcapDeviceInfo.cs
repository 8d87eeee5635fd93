namespace Datapath.Io.Live;

/// <summary>One interface as libpcap lists it (see <see cref="PcapDevices.List"/>).</summary>
/// <param name="Name">The name to open it by, e.g. "eth0".</param>
/// <param name="Description">libpcap's description ("" for most Linux interfaces).</param>
/// <param name="Mac">The Ethernet address (aa:bb:cc:dd:ee:ff), null when there is none.</param>
/// <param name="Addresses">IPv4 and IPv6 addresses with prefix length, e.g. "10.0.0.1/24".</param>
/// <param name="Flags">Of up, running, loopback, wireless, connected, disconnected.</param>
public sealed record PcapDeviceInfo(string Name, string Description, string? Mac, IReadOnlyList<string> Addresses, IReadOnlyList<string> Flags);
