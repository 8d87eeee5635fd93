namespace Datapath.Netfilter;

/// <summary>The options of <c>iptables -L</c>: <c>-n</c>, <c>-v</c>, <c>-x</c> and <c>--line-numbers</c>.</summary>
public readonly record struct IptablesListOptions(bool Numeric, bool Verbose, bool Exact, bool LineNumbers);
