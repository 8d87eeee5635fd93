namespace Datapath.Netfilter;

/// <summary>The five IPv4 netfilter hooks (NF_INET_*), in the order a forwarded packet meets them.</summary>
public enum NetfilterHook
{
    Prerouting = 0,
    Input = 1,
    Forward = 2,
    Output = 3,
    Postrouting = 4,
}
