using Datapath.Packets;

namespace Datapath.Netfilter.IpSets;

/// <summary>
/// One set of <c>ipset save</c> output: hash:ip (addresses, optionally masked by <c>netmask</c>), hash:net
/// (prefixes, the most specific wins, <c>nomatch</c> entries exclude), hash:ip,port (address, protocol, port).
/// Lookups: any thread once loaded; loading: single-threaded.
/// </summary>
public sealed class IpSet
{
    private readonly HashSet<uint> _addresses = [];
    // hash:net: one map per prefix length present, most specific first (the kernel's cidr list); value = nomatch.
    private readonly Dictionary<uint, bool>?[] _byPrefix = new Dictionary<uint, bool>?[33];
    private int[] _prefixes = [];
    private readonly HashSet<ulong> _addressPorts = [];

    internal IpSet(string name, IpSetType type, uint netmask, int maxElements)
    {
        Name = name;
        Type = type;
        Netmask = netmask;
        MaxElements = maxElements;
    }

    public string Name { get; }

    public IpSetType Type { get; }

    public string TypeName => Type switch
    {
        IpSetType.HashIp => "hash:ip",
        IpSetType.HashNet => "hash:net",
        _ => "hash:ip,port",
    };

    /// <summary>Number of dimensions (how many src/dst flags --match-set takes).</summary>
    public int Dimensions => Type == IpSetType.HashIpPort ? 2 : 1;

    public uint Netmask { get; }

    public int MaxElements { get; }

    public int Count { get; private set; }

    /// <summary>Created with <c>comment</c>: its elements may carry a comment.</summary>
    internal bool HasComments { get; init; }

    /// <summary>Created with <c>counters</c>: its elements may carry packets/bytes.</summary>
    internal bool HasCounters { get; init; }

    internal bool AddAddress(uint address)
    {
        bool added = _addresses.Add(address & Netmask);
        if (added)
            Count++;
        return added;
    }

    internal bool AddNet(uint address, int prefix, bool nomatch)
    {
        var map = _byPrefix[prefix];
        if (map is null)
        {
            map = [];
            _byPrefix[prefix] = map;
            _prefixes = [.. Enumerable.Range(0, 33).Where(p => _byPrefix[p] is not null).OrderDescending()];
        }
        uint mask = Ipv4Address.PrefixMask(prefix);
        bool added = map.TryAdd(address & mask, nomatch);
        if (added)
            Count++;
        return added;
    }

    internal bool AddAddressPort(uint address, byte protocol, ushort port)
    {
        bool added = _addressPorts.Add(Key(address, protocol, port));
        if (added)
            Count++;
        return added;
    }

    private static ulong Key(uint address, byte protocol, ushort port) => ((ulong)address << 32) | ((ulong)protocol << 16) | port;

    public bool ContainsAddress(uint address)
    {
        switch (Type)
        {
            case IpSetType.HashIp:
                return _addresses.Contains(address & Netmask);
            case IpSetType.HashNet:
                foreach (int p in _prefixes)
                {
                    if (_byPrefix[p]!.TryGetValue(address & Ipv4Address.PrefixMask(p), out bool nomatch))
                        return !nomatch;
                }
                return false;
            default:
                return false;
        }
    }

    public bool ContainsAddressPort(uint address, byte protocol, ushort port)
        => Type == IpSetType.HashIpPort && _addressPorts.Contains(Key(address, protocol, port));

    /// <summary>The set match of a packet: <paramref name="sourceDimensions"/>[i] picks src or dst for dimension i.</summary>
    internal bool Contains(in FlowKey key, bool[] sourceDimensions)
    {
        if (!key.IsIpv4)
            return false;
        uint address = sourceDimensions[0] ? key.NwSrc : key.NwDst;
        if (Type != IpSetType.HashIpPort)
            return ContainsAddress(address);
        if (sourceDimensions.Length < 2)
            return false;
        byte proto = key.NwProto;
        ushort port;
        if (proto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp or 136)
            port = sourceDimensions[1] ? key.TpSrc : key.TpDst;
        else if (proto == IpProtocols.Icmp)
            port = (ushort)((key.TpSrc << 8) | (byte)key.TpDst);
        else
            port = 0;
        return ContainsAddressPort(address, proto, port);
    }
}
