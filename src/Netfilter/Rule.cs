using System.Runtime.CompilerServices;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// One <c>-A CHAIN ...</c> line: the kernel's ipt_entry. The header part (addresses, protocol, interfaces,
/// fragment) is stored in fields and tested inline; match extensions follow in order, then the target.
/// Counters are updated with Interlocked so parallel hooks may share a rule set.
/// </summary>
public sealed class Rule
{
    private long _packets;
    private long _bytes;

    internal Rule(Chain chain, string file, int line, string text)
    {
        Chain = chain;
        File = file;
        Line = line;
        Text = text;
    }

    public Chain Chain { get; }

    /// <summary>1-based position in the chain (as <c>iptables -L --line-numbers</c> and TRACE count).</summary>
    public int Number { get; internal set; }

    public string File { get; }

    public int Line { get; }

    /// <summary>The rule as written, without the leading <c>-A CHAIN</c>.</summary>
    public string Text { get; }

    public string? Comment { get; internal set; }

    public long Packets => Volatile.Read(ref _packets);

    public long Bytes => Volatile.Read(ref _bytes);

    internal uint Source;
    internal uint SourceMask;
    internal bool SourceInvert;
    internal uint Destination;
    internal uint DestinationMask;
    internal bool DestinationInvert;
    /// <summary>0 = any protocol (<c>-p all</c> or none given).</summary>
    internal byte Protocol;
    internal bool ProtocolInvert;
    internal InterfaceSpec InInterface = new(string.Empty, false, false);
    internal InterfaceSpec OutInterface = new(string.Empty, false, false);
    /// <summary>-f: 1 = later fragments only, 2 = ! -f (head or unfragmented).</summary>
    internal byte Fragment;
    internal XtMatch[] Matches = [];
    internal ushort IndexedDestinationPort;
    internal bool HasIndexedDestinationPort;

    public IReadOnlyList<XtMatch> MatchModules => Matches;

    public RuleTarget Target { get; internal set; } = new(TargetKind.None, string.Empty);

    internal void AddStats(int bytes)
    {
        Interlocked.Increment(ref _packets);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void SetCounters(long packets, long bytes)
    {
        _packets = packets;
        _bytes = bytes;
    }

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _packets, 0);
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>The (destination, protocol, destination port) this rule requires exactly, if it does: such rules
    /// can be found through a hash map instead of a scan (nftables' verdict maps).</summary>
    internal bool TryGetIndexKey(out ulong key)
    {
        key = 0;
        if (DestinationMask != uint.MaxValue || DestinationInvert || Protocol == 0 || ProtocolInvert || !HasIndexedDestinationPort)
            return false;
        key = MakeIndexKey(Destination, Protocol, IndexedDestinationPort);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong MakeIndexKey(uint destination, byte protocol, ushort port)
        => ((ulong)destination << 32) | ((ulong)protocol << 16) | port;

    /// <summary>The ipt_entry "ip" part: ip_packet_match.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool HeaderMatches(ref NetfilterPacket packet)
    {
        ref FlowKey key = ref packet.Key;
        if ((((key.NwSrc & SourceMask) == Source) ^ SourceInvert)
            && (((key.NwDst & DestinationMask) == Destination) ^ DestinationInvert)
            && (Protocol == 0 || ((key.NwProto == Protocol) ^ ProtocolInvert)))
        {
            if (InInterface.IsSet && !InInterface.Matches(packet.InInterface))
                return false;
            if (OutInterface.IsSet && !OutInterface.Matches(packet.OutInterface))
                return false;
            if (Fragment != 0)
            {
                bool later = (key.NwFrag & 2) != 0;
                if (later != (Fragment == 1))
                    return false;
            }
            return true;
        }
        return false;
    }
}
