using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Datapath.Packets;

namespace Datapath.Io.Underlay;

/// <summary>
/// The real underlay: a UDP socket bound to a node's address (e.g. 127.0.0.2:6081 or [::1]:6081 in
/// tests, the uplink's address in a lab) carrying GENEVE datagrams. The socket's payload is the GENEVE
/// header, its options and the inner frame; the outer Ethernet/IP/UDP headers are the kernel's.
/// An IPv4 socket sends to and reports Ipv4Address peers (tun_src/tun_dst); an IPv6 socket
/// (<see cref="IsIpv6"/>) to Ipv6Address peers (tun_ipv6_src/tun_ipv6_dst), the kernel computing
/// the UDP checksum IPv6 requires.
/// </summary>
/// <remarks>
/// It has the members of Datapath.Geneve.IGeneveUnderlay (LocalAddress, TrySend, Receive,
/// ReceivedPayload, ReceivedSource) without implementing it, because Io may reference only Packets
/// (DESIGN.md's table); the CLI wraps it in a delegating adapter.
/// Receive fills a batch of fixed-size slots in one pinned buffer allocated once: a steady stream
/// allocates nothing (send addresses are cached per destination; receive uses SocketAddress).
/// Thread-safety: TrySend from any thread; Receive and Received* from one thread.
/// </remarks>
public sealed class UdpGeneveUnderlay : IDisposable
{
    /// <summary>GENEVE's UDP port (RFC 8926 §3.3).</summary>
    public const int GenevePort = 6081;

    private readonly Socket _socket;
    private readonly int _remotePort;
    private readonly byte[] _slab;
    private readonly int _slotLength;
    private readonly int[] _lengths;
    private readonly Ipv4Address[] _sources;
    private readonly Ipv6Address[] _sources6;
    private readonly SocketAddress _receiveAddress;
    private readonly ConcurrentDictionary<uint, SocketAddress> _sendAddresses = new();
    private readonly ConcurrentDictionary<UInt128, SocketAddress> _sendAddresses6 = new();
    private int _count;
    private long _sendErrors;
    private long _truncated;
    private volatile bool _disposed;

    /// <summary>Binds a UDP socket to <paramref name="localEndPoint"/> (IPv4 or IPv6; port 0 picks a free one).</summary>
    /// <param name="localEndPoint">The node's underlay address and port.</param>
    /// <param name="remotePort">The port datagrams are sent to (6081; tests may use others).</param>
    /// <param name="batchCapacity">The most datagrams one Receive returns.</param>
    /// <param name="maxDatagramLength">Slot size; longer datagrams are dropped and counted in <see cref="TruncatedDatagrams"/>.</param>
    /// <exception cref="SocketException">The address cannot be bound (in use, not local).</exception>
    public UdpGeneveUnderlay(IPEndPoint localEndPoint, int remotePort = GenevePort, int batchCapacity = 32, int maxDatagramLength = 16384)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        if (localEndPoint.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException("the GENEVE underlay is IPv4 or IPv6", nameof(localEndPoint));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramLength, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDatagramLength, 65536);
        _remotePort = remotePort;
        _slotLength = maxDatagramLength;
        _slab = GC.AllocateArray<byte>(batchCapacity * maxDatagramLength, pinned: true);
        _lengths = new int[batchCapacity];
        _sources = new Ipv4Address[batchCapacity];
        _sources6 = new Ipv6Address[batchCapacity];
        IsIpv6 = localEndPoint.AddressFamily == AddressFamily.InterNetworkV6;
        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.ReceiveBufferSize = 4 << 20;
            _socket.SendBufferSize = 1 << 20;
            if (IsIpv6)
                _socket.DualMode = false;   // IPv6 peers only: tun_ipv6_src/dst, never IPv4-mapped ones
            _socket.Bind(localEndPoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        if (IsIpv6)
            LocalAddress6 = Ipv6Address.Read(LocalEndPoint.Address.GetAddressBytes());
        else
            LocalAddress = Ipv4Address.Read(LocalEndPoint.Address.GetAddressBytes());
        _receiveAddress = new SocketAddress(localEndPoint.AddressFamily);
    }

    /// <summary>The socket is IPv6: use <see cref="LocalAddress6"/>, the Ipv6Address TrySend and <see cref="ReceivedSource6"/>.</summary>
    public bool IsIpv6 { get; }

    /// <summary>The bound IPv4 address (zero on an IPv6 socket).</summary>
    public Ipv4Address LocalAddress { get; }

    /// <summary>The bound IPv6 address (zero on an IPv4 socket).</summary>
    public Ipv6Address LocalAddress6 { get; }

    /// <summary>The bound address and port (the port resolved when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    public int BatchCapacity => _lengths.Length;

    /// <summary>Sends that failed (socket errors such as no route or a full buffer).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Datagrams longer than a slot, dropped on receive.</summary>
    public long TruncatedDatagrams => Interlocked.Read(ref _truncated);

    /// <summary>Sends <paramref name="payload"/> to <paramref name="destination"/>:remotePort. False on a socket error or on an IPv6 socket.</summary>
    public bool TrySend(Ipv4Address destination, ReadOnlySpan<byte> payload)
    {
        if (_disposed || IsIpv6)
            return false;
        var address = _sendAddresses.GetOrAdd(destination.Value, static (v, port) =>
            new IPEndPoint(new IPAddress(BinaryPrimitives.ReverseEndianness(v)), port).Serialize(), _remotePort);
        return SendTo(address, payload);
    }

    /// <summary>Sends <paramref name="payload"/> to [<paramref name="destination"/>]:remotePort. False on a socket error or on an IPv4 socket.</summary>
    public bool TrySend(Ipv6Address destination, ReadOnlySpan<byte> payload)
    {
        if (_disposed || !IsIpv6)
            return false;
        var address = _sendAddresses6.GetOrAdd(destination.Value, static (v, port) =>
        {
            Span<byte> bytes = stackalloc byte[16];
            new Ipv6Address(v).Write(bytes);
            return new IPEndPoint(new IPAddress(bytes), port).Serialize();
        }, _remotePort);
        return SendTo(address, payload);
    }

    private bool SendTo(SocketAddress address, ReadOnlySpan<byte> payload)
    {
        try
        {
            return _socket.SendTo(payload, SocketFlags.None, address) == payload.Length;
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref _sendErrors);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a datagram, then drains those already queued in the
    /// socket, up to the batch capacity. Returns the batch size: 0 on timeout or once disposed.
    /// </summary>
    public int Receive(TimeSpan timeout)
    {
        _count = 0;
        if (_disposed)
            return 0;
        long micros = timeout == Timeout.InfiniteTimeSpan ? -1 : (long)timeout.TotalMicroseconds;
        try
        {
            if (!_socket.Poll((int)Math.Min(micros, int.MaxValue), SelectMode.SelectRead))
                return 0;
            int n = 0;
            do
            {
                var slot = _slab.AsSpan(n * _slotLength, _slotLength);
                int length;
                try
                {
                    length = _socket.ReceiveFrom(slot, SocketFlags.None, _receiveAddress);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    Interlocked.Increment(ref _truncated);
                    continue;
                }
                _lengths[n] = length;
                if (IsIpv6)
                    _sources6[n] = ReadIpv6(_receiveAddress);
                else
                    _sources[n] = ReadIpv4(_receiveAddress);
                n++;
            }
            while (n < _lengths.Length && _socket.Available > 0);
            _count = n;
            return n;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        catch (SocketException) when (_disposed)
        {
            return 0;
        }
    }

    public ReadOnlySpan<byte> ReceivedPayload(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return _slab.AsSpan(index * _slotLength, _lengths[index]);
    }

    /// <summary>The IPv4 sender of datagram <paramref name="index"/> of the last Receive (zero on an IPv6 socket).</summary>
    public Ipv4Address ReceivedSource(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return _sources[index];
    }

    /// <summary>The IPv6 sender of datagram <paramref name="index"/> of the last Receive (on an IPv6 socket).</summary>
    public Ipv6Address ReceivedSource6(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return _sources6[index];
    }

    /// <summary>sockaddr_in6: family (2 bytes), port (2), flow info (4), address (16, network order), scope id (4).</summary>
    private static Ipv6Address ReadIpv6(SocketAddress address)
        => Ipv6Address.Read(address.Buffer.Span[8..24]);

    /// <summary>sockaddr_in: family (2 bytes), port (2, network order), address (4, network order).</summary>
    private static Ipv4Address ReadIpv4(SocketAddress address)
        => new(BinaryPrimitives.ReadUInt32BigEndian(address.Buffer.Span[4..8]));

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _socket.Dispose();
    }
}
