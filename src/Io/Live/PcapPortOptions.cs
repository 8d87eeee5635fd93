namespace Datapath.Io.Live;

/// <summary>How <see cref="PcapPort.Open"/> opens an existing interface through libpcap.</summary>
public sealed class PcapPortOptions
{
    /// <summary>Promiscuous mode. Default true.</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>An optional tcpdump filter expression (pcap_compile + pcap_setfilter).</summary>
    public string? Filter { get; init; }

    /// <summary>libpcap's ring size (pcap_set_buffer_size), bytes. Default 4 MiB.</summary>
    public int BufferBytes { get; init; } = 4 << 20;
}
