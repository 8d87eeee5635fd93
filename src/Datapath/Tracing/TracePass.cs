using Datapath.Packets;

namespace Datapath.Engine.Tracing;

/// <summary>
/// One pass of one bridge (one translation, from table 0 or from a recirculation): the flow it started from
/// and ended with (OVS's <c>Flow:</c> and <c>Final flow:</c>), its megaflow and its datapath actions in both
/// spellings. Recorded by the node when tracing only.
/// </summary>
public sealed class TracePass
{
    public required string Node { get; init; }
    /// <summary>The recirc_id the pass ran with, as the trace prints it (0 for the first pass).</summary>
    public uint RecircId { get; init; }
    /// <summary>The key the pass started from.</summary>
    public required FlowKey Start { get; init; }
    /// <summary>
    /// The key at the end of the pass, as ofproto/trace's <c>Final flow:</c> shows it: after a ct(table=N) that ends
    /// the pass the conntrack fields are cleared (OVS: "Sets the packet to an untracked state").
    /// </summary>
    public required FlowKey Final { get; init; }
    /// <summary>
    /// The default trace's "Final flow:" text (our flow format, with the trace's names), or null when the pass
    /// left the flow as it found it ("unchanged").
    /// </summary>
    public string? FinalFlowText { get; init; }
    public required string Megaflow { get; init; }
    /// <summary>Our datapath actions (<c>ct(zone=65520),recirc(table=31)</c>, <c>antrea-gw0(2)</c>); null when the translation failed.</summary>
    public string? DatapathActions { get; init; }
    /// <summary>OVS's datapath actions (<c>ct(zone=65520),recirc(0x1)</c>, <c>set(ipv4(ttl=62))</c>, datapath port numbers).</summary>
    public string? OvsDatapathActions { get; init; }
    /// <summary>The translation failed with this reason (OVS: "Translation failed").</summary>
    public DropReason? Error { get; init; }
}
