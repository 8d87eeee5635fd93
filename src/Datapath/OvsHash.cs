using System.Buffers.Binary;
using System.Numerics;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// Open vSwitch's own hash functions (lib/hash.h's murmur-based <c>hash_add</c>/<c>hash_finish</c> as built without
/// SSE 4.2, lib/jhash.c's Jenkins hash, lib/flow.c's symmetric flow hashes), so that what OVS decides by a hash —
/// the bucket a select group takes — is decided here by the same number. OVS hashes the fields as they lie in
/// <c>struct flow</c>: network byte order read as little-endian words on x86, which is why every field is swapped
/// here before it is added.
/// </summary>
public static class OvsHash
{
    /// <summary><c>hash_add</c>: one word into the running murmur hash (a zero word leaves the mix unchanged).</summary>
    public static uint Add(uint hash, uint data)
    {
        if (data != 0)
        {
            data *= 0xcc9e2d51;
            data = BitOperations.RotateLeft(data, 15);
            data *= 0x1b873593;
            hash ^= data;
        }
        hash = BitOperations.RotateLeft(hash, 13);
        return hash * 5 + 0xe6546b64;
    }

    /// <summary><c>hash_add64</c>: the low word, then the high word.</summary>
    public static uint Add64(uint hash, ulong data) => Add(Add(hash, (uint)data), (uint)(data >> 32));

    /// <summary><c>hash_finish(hash, final)</c>: murmur's finaliser over <c>hash ^ final</c>.</summary>
    public static uint Finish(uint hash, uint final)
    {
        hash ^= final;
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }

    /// <summary><c>hash_int(x, basis)</c> = <c>hash_2words(x, basis)</c>.</summary>
    public static uint Int(uint x, uint basis) => Finish(Add(Add(x, 0), basis), 8);

    /// <summary><c>hash_uint64_basis(x, basis)</c>.</summary>
    public static uint UInt64(ulong x, uint basis = 0) => Finish(Add64(basis, x), 8);

    /// <summary><c>hash_boolean(x, basis)</c>.</summary>
    public static uint Boolean(bool x, uint basis) => (x ? 0xc2b73583u : 0xe90f1258u) ^ BitOperations.RotateLeft(basis, 1);

    /// <summary><c>hash_bytes(p, n, basis)</c>: little-endian words, the tail zero-padded, finished with the length.</summary>
    public static uint Bytes(ReadOnlySpan<byte> p, uint basis)
    {
        uint hash = basis;
        int i = 0;
        for (; i + 4 <= p.Length; i += 4)
            hash = Add(hash, BinaryPrimitives.ReadUInt32LittleEndian(p[i..]));
        if (i < p.Length)
        {
            Span<byte> tmp = stackalloc byte[4];
            tmp.Clear();
            p[i..].CopyTo(tmp);
            hash = Add(hash, BinaryPrimitives.ReadUInt32LittleEndian(tmp));
        }
        return Finish(hash, (uint)p.Length);
    }

    /// <summary><c>jhash_bytes(p, n, basis)</c>: Bob Jenkins' lookup3 over little-endian words.</summary>
    public static uint JhashBytes(ReadOnlySpan<byte> p, uint basis)
    {
        uint a, b, c;
        a = b = c = 0xdeadbeef + (uint)p.Length + basis;
        int n = p.Length, o = 0;
        while (n >= 12)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(p[o..]);
            b += BinaryPrimitives.ReadUInt32LittleEndian(p[(o + 4)..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(p[(o + 8)..]);
            Mix(ref a, ref b, ref c);
            n -= 12;
            o += 12;
        }
        if (n > 0)
        {
            Span<byte> tmp = stackalloc byte[12];
            tmp.Clear();
            p.Slice(o, n).CopyTo(tmp);
            a += BinaryPrimitives.ReadUInt32LittleEndian(tmp);
            b += BinaryPrimitives.ReadUInt32LittleEndian(tmp[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(tmp[8..]);
            Final(ref a, ref b, ref c);
        }
        return c;
    }

    private static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= c; a ^= BitOperations.RotateLeft(c, 4); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 6); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 8); b += a;
        a -= c; a ^= BitOperations.RotateLeft(c, 16); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 19); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 4); b += a;
    }

    private static void Final(ref uint a, ref uint b, ref uint c)
    {
        c ^= b; c -= BitOperations.RotateLeft(b, 14);
        a ^= c; a -= BitOperations.RotateLeft(c, 11);
        b ^= a; b -= BitOperations.RotateLeft(a, 25);
        c ^= b; c -= BitOperations.RotateLeft(b, 16);
        a ^= c; a -= BitOperations.RotateLeft(c, 4);
        b ^= a; b -= BitOperations.RotateLeft(a, 14);
        c ^= b; c -= BitOperations.RotateLeft(b, 24);
    }

    // struct flow keeps addresses and ports in network byte order; x86 reads them as little-endian words.
    private static uint Be32(uint hostOrder) => BinaryPrimitives.ReverseEndianness(hostOrder);
    private static ushort Be16(ushort hostOrder) => BinaryPrimitives.ReverseEndianness(hostOrder);

    /// <summary>
    /// <c>flow_hash_symmetric_l3l4(flow, basis, inc_udp_ports)</c>: what the datapath's
    /// <c>hash(sym_l4(basis))</c> action computes (odp-execute's OVS_HASH_ALG_SYM_L4) — the XOR of the addresses,
    /// the protocol, and the XOR of the ports for unfragmented TCP and SCTP (and UDP with
    /// <paramref name="udpPorts"/>, bundle's and multipath's <c>symmetric_l3l4+udp</c>); non-IP frames hash their L2 header.
    /// </summary>
    public static uint SymmetricL3L4(in FlowKey key, uint basis, bool udpPorts = false)
    {
        uint hash = basis;
        if (key.EthType == EtherTypes.IPv4)
            hash = Add(hash, Be32(key.NwSrc ^ key.NwDst));
        else if (key.EthType == EtherTypes.IPv6)
        {
            hash = Add64(hash, BinaryPrimitives.ReverseEndianness(key.Ipv6SrcHi ^ key.Ipv6DstHi));
            hash = Add64(hash, BinaryPrimitives.ReverseEndianness(key.Ipv6SrcLo ^ key.Ipv6DstLo));
        }
        else
            return SymmetricL2(in key, basis);
        hash = Add(hash, key.NwProto);
        if ((key.NwFrag & 3) == 0 && (key.NwProto is IpProtocols.Tcp or IpProtocols.Sctp || (udpPorts && key.NwProto == IpProtocols.Udp)))
            hash = Add(hash, Be16((ushort)(key.TpSrc ^ key.TpDst)));
        return Finish(hash, basis);
    }

    /// <summary>
    /// <c>flow_hash_symmetric_l3(flow, basis)</c>: jhash over a 20-byte struct of the XORed IPv4 or IPv6 addresses
    /// and dl_type (multipath's and bundle's <c>symmetric_l3</c>).
    /// </summary>
    public static uint SymmetricL3(in FlowKey key, uint basis)
    {
        // struct { union { be32 ipv4; in6_addr ipv6 } @0 (16); be16 eth_type @16; } padded to 20 bytes.
        Span<byte> f = stackalloc byte[20];
        f.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(f[16..], key.EthType);
        if (key.EthType == EtherTypes.IPv4)
            BinaryPrimitives.WriteUInt32BigEndian(f, key.NwSrc ^ key.NwDst);
        else if (key.EthType == EtherTypes.IPv6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(f, key.Ipv6SrcHi ^ key.Ipv6DstHi);
            BinaryPrimitives.WriteUInt64BigEndian(f[8..], key.Ipv6SrcLo ^ key.Ipv6DstLo);
        }
        return JhashBytes(f, basis);
    }

    /// <summary><c>flow_hash_symmetric_l2</c>: dl_type, the XOR of the VLAN ids, the XOR of the MACs.</summary>
    public static uint SymmetricL2(in FlowKey key, uint basis)
    {
        Span<byte> f = stackalloc byte[12];
        f.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(f, key.EthType);
        BinaryPrimitives.WriteUInt16BigEndian(f[2..], (ushort)((key.VlanTci ^ key.VlanTci2) & 0x0fff));
        WriteMac(f[4..], key.EthSrc ^ key.EthDst);
        uint hash = basis;
        hash = Add(hash, BinaryPrimitives.ReadUInt32LittleEndian(f));
        hash = Add(hash, BinaryPrimitives.ReadUInt32LittleEndian(f[4..]));
        hash = Add(hash, BinaryPrimitives.ReadUInt32LittleEndian(f[8..]));
        return Finish(hash, basis);
    }

    /// <summary>
    /// <c>flow_hash_symmetric_l4(flow, basis)</c>: the slow path's default select hash — jhash over a 28-byte struct
    /// of the XORed L3 addresses, dl_type, VLAN id, XORed TCP/SCTP ports, XORed MACs and the protocol.
    /// </summary>
    public static uint SymmetricL4(in FlowKey key, uint basis)
    {
        // struct { union { be32 ipv4; in6_addr ipv6 } @0 (16); be16 eth_type @16; be16 vlan_tci @18;
        //          be16 tp_port @20; eth_addr @22 (6); u8 ip_proto @28; } padded to 32 bytes.
        Span<byte> f = stackalloc byte[32];
        f.Clear();
        WriteMac(f[22..], key.EthSrc ^ key.EthDst);
        BinaryPrimitives.WriteUInt16BigEndian(f[18..], (ushort)((key.VlanTci ^ key.VlanTci2) & 0x0fff));
        BinaryPrimitives.WriteUInt16BigEndian(f[16..], key.EthType);
        if (key.EthType == EtherTypes.IPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(f, key.NwSrc ^ key.NwDst);
            f[28] = key.NwProto;
        }
        else if (key.EthType == EtherTypes.IPv6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(f, key.Ipv6SrcHi ^ key.Ipv6DstHi);
            BinaryPrimitives.WriteUInt64BigEndian(f[8..], key.Ipv6SrcLo ^ key.Ipv6DstLo);
            f[28] = key.NwProto;
        }
        if (key.IsIp && key.NwProto is IpProtocols.Tcp or IpProtocols.Sctp)
            BinaryPrimitives.WriteUInt16BigEndian(f[20..], (ushort)(key.TpSrc ^ key.TpDst));
        return JhashBytes(f, basis);
    }

    /// <summary>
    /// <c>flow_hash_5tuple(flow, basis)</c>: addresses, protocol and (for TCP, UDP, SCTP, ICMP, ICMPv6) the ports,
    /// one direction — what the datapath's <c>hash(l4(basis))</c> computes from a packet that has no RSS hash.
    /// </summary>
    public static uint FiveTuple(in FlowKey key, uint basis)
    {
        uint hash = basis;
        if (key.EthType == EtherTypes.IPv6)
        {
            hash = Add64(hash, BinaryPrimitives.ReverseEndianness(key.Ipv6SrcHi));
            hash = Add64(hash, BinaryPrimitives.ReverseEndianness(key.Ipv6SrcLo));
            hash = Add64(hash, BinaryPrimitives.ReverseEndianness(key.Ipv6DstHi));
            hash = Add64(hash, BinaryPrimitives.ReverseEndianness(key.Ipv6DstLo));
        }
        else if (key.EthType is EtherTypes.IPv4 or EtherTypes.Arp)
        {
            hash = Add(hash, Be32(key.NwSrc));
            hash = Add(hash, Be32(key.NwDst));
        }
        else
            return Finish(hash, 42);
        hash = Add(hash, key.NwProto);
        if (key.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp or IpProtocols.Icmp or IpProtocols.Icmpv6)
            hash = Add(hash, Be16(key.TpSrc) | (uint)Be16(key.TpDst) << 16); // both be16 ports as one word
        return Finish(hash, 42);
    }

    private static void WriteMac(Span<byte> dst, ulong mac)
    {
        for (int i = 0; i < 6; i++)
            dst[i] = (byte)(mac >> (8 * (5 - i)));
    }
}
