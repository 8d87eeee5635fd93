using System.Runtime.CompilerServices;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// One <c>-A CHAIN ...</c> line: the kernel's ipt_entry. The header part (addresses, protocol, interfaces,
/// fragment) is stored in fields; match extensions follow in order, then the target. After COMMIT the engine
/// walks the rule's <see cref="CompiledRule"/> (slot <see cref="Slot"/> of its table's <see cref="CompiledTable"/>),
/// which also holds its counters (updated with Interlocked so parallel hooks may share a rule set); this object
/// keeps what the struct does not fold: interfaces, <see cref="SlowMatches"/>, the text for traces.
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

    /// <summary>The rule's nf_tables handle (iptables-nft): unique in its table, in creation order; what
    /// <c>xtables-monitor --trace</c> prints as <c>rule:0xHANDLE</c>.</summary>
    public ulong Handle { get; internal set; }

    public int Line { get; }

    /// <summary>The 1-based column of the target's name (after -j/-g) on <see cref="Line"/>, 1 without a target.</summary>
    internal int TargetColumn { get; set; } = 1;

    /// <summary>The rule as written, without the leading <c>-A CHAIN</c>.</summary>
    public string Text { get; }

    public string? Comment { get; internal set; }

    public long Packets => Program is { } p ? Volatile.Read(ref p.Rules[Slot].Packets) : Volatile.Read(ref _packets);

    public long Bytes => Program is { } p ? Volatile.Read(ref p.Rules[Slot].Bytes) : Volatile.Read(ref _bytes);

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
    /// <summary>Every match of the rule in the order written, comments included: what <c>iptables -L</c> and
    /// iptables-save print (<see cref="IptablesListing"/>); the engine never reads it.</summary>
    internal XtMatch[] ListedMatches = [];
    /// <summary>The suffix of <see cref="Matches"/> the compiled rule does not fold, evaluated in order.</summary>
    internal XtMatch[] SlowMatches = [];
    /// <summary>The compiled table holding this rule (set at COMMIT) and the rule's slot in it.</summary>
    internal CompiledTable? Program;
    internal int Slot;
    internal ushort IndexedDestinationPort;
    internal bool HasIndexedDestinationPort;

    public IReadOnlyList<XtMatch> MatchModules => Matches;

    public RuleTarget Target { get; internal set; } = new(TargetKind.None, string.Empty);

    /// <summary>The counters given in the file (<c>[p:b]</c>, <c>-c</c>), copied into the compiled rule at COMMIT.</summary>
    internal void SetCounters(long packets, long bytes)
    {
        _packets = packets;
        _bytes = bytes;
    }

    internal long InitialPackets => _packets;

    internal long InitialBytes => _bytes;

    public void ResetCounters()
    {
        if (Program is { } p)
        {
            Interlocked.Exchange(ref p.Rules[Slot].Packets, 0);
            Interlocked.Exchange(ref p.Rules[Slot].Bytes, 0);
        }
        Interlocked.Exchange(ref _packets, 0);
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>The <c>-i</c>/<c>-o</c> part of the header.</summary>
    internal bool InterfacesMatch(ref NetfilterPacket packet)
        => (!InInterface.IsSet || InInterface.Matches(packet.InInterface))
            && (!OutInterface.IsSet || OutInterface.Matches(packet.OutInterface));

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
}
