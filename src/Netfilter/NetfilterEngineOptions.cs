using Datapath.Netfilter.IpSets;

namespace Datapath.Netfilter;

/// <summary>What a <see cref="NetfilterEngine"/> is built with besides its rules.</summary>
public sealed class NetfilterEngineOptions
{
    /// <summary>The sets <c>-m set</c> rules refer to; every referenced set must exist.</summary>
    public IpSetCollection? Sets { get; init; }

    /// <summary>The connection tracker of the host's default zone. Null: stateless mode, every packet is a
    /// connection's first packet and the engine rewrites NAT itself.</summary>
    public INatConntrack? Conntrack { get; init; }

    /// <summary>The node's addresses (addrtype, MASQUERADE). Null: every address is UNICAST, MASQUERADE drops.</summary>
    public INetfilterHost? Host { get; init; }

    /// <summary>Seed of the statistic --mode random draws (replays with the same seed choose the same backends).</summary>
    public ulong RandomSeed { get; init; } = 1;
}
