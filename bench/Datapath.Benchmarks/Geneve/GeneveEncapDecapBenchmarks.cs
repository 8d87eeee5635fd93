using BenchmarkDotNet.Attributes;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Benchmarks.Geneve;

/// <summary>
/// Issue 5 item 6: encap + decap of a 64-byte inner frame (≥ 10 M/s on one core), with one
/// 4-byte option (≥ 8 M/s), no allocation. Outer headers as Antrea sends them: DF and UDP
/// checksum (csum=true) on, so both directions checksum the whole datagram. IPv6-outer cases
/// (tun_ipv6_src/dst; the UDP checksum is mandatory there). CPU-time figures: GeneveCpuTimeHarness.
/// </summary>
[MemoryDiagnoser]
public class GeneveEncapDecapBenchmarks
{
    private readonly byte[] _inner = PacketBuilder.Tcp(MacAddress.Parse("4e:99:08:c1:53:be"), MacAddress.Parse("aa:bb:cc:dd:ee:ff"),
        Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), 46490, 80, TcpFlags.Ack, payload: new byte[10]);
    private readonly byte[] _outer = new byte[256];
    private readonly TlvMap _map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0");
    private readonly MacAddress _src = MacAddress.Parse("00:50:56:8f:4e:82");
    private readonly MacAddress _dst = MacAddress.Parse("00:50:56:8f:1c:f6");
    private FlowKey _tunnel;
    private FlowKey _withOption;
    private FlowKey _noCsum;
    private FlowKey _ipv6;
    private FlowKey _ipv6WithOption;
    private readonly byte[] _encapsulatedOneOption = new byte[256];
    private int _encapsulatedOneOptionLength;
    private FlowKey _received;

    [GlobalSetup]
    public void Setup()
    {
        if (_inner.Length != 64)
            throw new InvalidOperationException($"inner frame is {_inner.Length} bytes, expected 64");
        _tunnel.TunSrc = Ipv4Address.Parse("10.79.1.201").Value;
        _tunnel.TunDst = Ipv4Address.Parse("10.79.1.202").Value;
        _tunnel.TunFlags = GeneveTunnelFlags.Csum | GeneveTunnelFlags.DontFragment | GeneveTunnelFlags.Key;
        _withOption = _tunnel;
        _withOption.TunMetadataPresent = 1;
        _withOption.TunMetadata[0] = 0x1000_0000;
        _noCsum = _tunnel;
        _noCsum.TunFlags = GeneveTunnelFlags.DontFragment;
        _ipv6.TunIpv6Src = Ipv6Address.Parse("fd00:10:79:1::201");
        _ipv6.TunIpv6Dst = Ipv6Address.Parse("fd00:10:79:1::202");
        _ipv6.TunFlags = _tunnel.TunFlags;
        _ipv6WithOption = _ipv6;
        _ipv6WithOption.TunMetadataPresent = 1;
        _ipv6WithOption.TunMetadata[0] = 0x1000_0000;
        GeneveEncapsulator.TryEncapsulate(_inner, in _withOption, in _map, _src, _dst, _encapsulatedOneOption, out _encapsulatedOneOptionLength);
        if (EncapDecap() != 64 || EncapDecapOneOption() != 64 || EncapDecapIpv6() != 64 || EncapDecapOneOptionIpv6() != 64 || DecapOneOption() != 64)
            throw new InvalidOperationException("round trip failed");
    }

    private int RoundTrip(in FlowKey tunnel)
    {
        GeneveEncapsulator.TryEncapsulate(_inner, in tunnel, in _map, _src, _dst, _outer, out int n);
        GeneveDecapsulator.TryDecapsulate(_outer.AsSpan(0, n), in _map, out int offset, ref _received, out _);
        return n - offset;
    }

    [Benchmark(Baseline = true, Description = "encap+decap 64B, no options, csum")]
    public int EncapDecap() => RoundTrip(in _tunnel);

    [Benchmark(Description = "encap+decap 64B, one 4-byte option, csum")]
    public int EncapDecapOneOption() => RoundTrip(in _withOption);

    [Benchmark(Description = "encap+decap 64B, no options, no csum")]
    public int EncapDecapNoCsum() => RoundTrip(in _noCsum);

    [Benchmark(Description = "encap+decap 64B, no options, IPv6 outer")]
    public int EncapDecapIpv6() => RoundTrip(in _ipv6);

    [Benchmark(Description = "encap+decap 64B, one 4-byte option, IPv6 outer")]
    public int EncapDecapOneOptionIpv6() => RoundTrip(in _ipv6WithOption);

    [Benchmark(Description = "decap 64B, one 4-byte option, csum")]
    public int DecapOneOption()
    {
        GeneveDecapsulator.TryDecapsulate(_encapsulatedOneOption.AsSpan(0, _encapsulatedOneOptionLength), in _map, out int offset, ref _received, out _);
        return _encapsulatedOneOptionLength - offset;
    }

    [Benchmark(Description = "encap 64B, one 4-byte option, csum")]
    public int EncapOneOption()
    {
        GeneveEncapsulator.TryEncapsulate(_inner, in _withOption, in _map, _src, _dst, _outer, out int n);
        return n;
    }

    [Benchmark(Description = "payload only (socket form), one option")]
    public int PayloadOneOption()
    {
        GeneveEncapsulator.TryWritePayload(_inner, in _withOption, in _map, _outer, out int n);
        var outer = new GeneveOuterFields { Source = new Ipv4Address(_withOption.TunSrc), Destination = new Ipv4Address(_withOption.TunDst) };
        GeneveDecapsulator.TryDecapsulatePayload(_outer.AsSpan(0, n), in _map, in outer, out int offset, ref _received, out _);
        return n - offset;
    }
}
