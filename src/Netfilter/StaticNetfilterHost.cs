namespace Datapath.Netfilter;

/// <summary>
/// A node's interfaces as a fixed list of (name, address, prefix length). Local addresses are LOCAL, 224/4
/// MULTICAST, 0/8, 255.255.255.255 and each subnet's broadcast BROADCAST, anything else UNICAST (the kernel's
/// __inet_dev_addr_type: an IPv4 address is never UNSPEC).
/// </summary>
public sealed class StaticNetfilterHost : INetfilterHost
{
    private readonly List<(string Name, uint Address, int PrefixLength)> _addresses = [];

    /// <summary>Adds an interface address (<c>ip addr add ADDRESS/PREFIX dev NAME</c>).</summary>
    public StaticNetfilterHost AddAddress(string interfaceName, uint address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)prefixLength, 32u, nameof(prefixLength));
        _addresses.Add((interfaceName, address, prefixLength));
        return this;
    }

    public AddressTypes Classify(uint address, string? limitInterface)
    {
        if ((address >> 24) == 0 || address == uint.MaxValue)
            return AddressTypes.Broadcast;
        if ((address & 0xF0000000) == 0xE0000000)
            return AddressTypes.Multicast;
        foreach (var (name, local, prefix) in _addresses)
        {
            if (limitInterface is not null && name != limitInterface)
                continue;
            if (local == address)
                return AddressTypes.Local;
            if ((address >> 24) == 127 && (local >> 24) == 127)
                return AddressTypes.Local;
            uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
            if (prefix < 31 && (address & mask) == (local & mask) && (address | mask) == uint.MaxValue)
                return AddressTypes.Broadcast;
        }
        return AddressTypes.Unicast;
    }

    public bool TrySelectSourceAddress(string outInterface, uint destination, out uint address)
    {
        // inet_select_addr: prefer an address of the interface whose subnet holds the destination, else the first.
        address = 0;
        bool found = false;
        foreach (var (name, local, prefix) in _addresses)
        {
            if (name != outInterface)
                continue;
            uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
            if ((destination & mask) == (local & mask))
            {
                address = local;
                return true;
            }
            if (!found)
            {
                address = local;
                found = true;
            }
        }
        return found;
    }
}
