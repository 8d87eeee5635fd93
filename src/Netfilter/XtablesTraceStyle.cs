namespace Datapath.Netfilter;

/// <summary>
/// Which kernel and which <c>xtables-monitor</c> a trace imitates: they differ in the events nf_tables sends and in
/// how the monitor prints them.
/// </summary>
public enum XtablesTraceStyle
{
    /// <summary>
    /// Linux 5.15 with iptables 1.8.7 (Ubuntu 22.04, as seed 002 shows): a <c>return</c> event when a chain ends or a
    /// rule RETURNs (base chains too, before their policy), PACKET lines before rule events only, and the monitor's
    /// <c>ID=45471DF</c> (no space before the IP flags).
    /// </summary>
    Linux515,

    /// <summary>
    /// Linux 6.18 with iptables 1.8.9 (Debian 12's iptables): no <c>return</c> events (a RETURN rule shows its verdict
    /// as <c>0xfffffffb</c>, NFT_RETURN), PACKET lines before policy events too, <c>ID=45471 DF</c>.
    /// </summary>
    Linux618,
}
