using System.Net;

namespace Datapath.Live;

/// <summary>One node of a lab file: its port bindings, underlay endpoint, peers and control socket.</summary>
internal sealed class LabNode
{
    public required string Name { get; init; }

    /// <summary>Where the control socket is made (absolute, or relative to the lab file's directory, resolved).</summary>
    public required string ControlSocket { get; init; }

    /// <summary>The UDP endpoint the node's tunnel port sends and receives GENEVE on (VXLAN on a node without a bridge), or null (no tunnel traffic).</summary>
    public IPEndPoint? Underlay { get; init; }

    /// <summary>Other nodes' underlay addresses, by node name or node IP (as written), with the position for errors.</summary>
    public required IReadOnlyList<LabPeer> Peers { get; init; }

    /// <summary>Bridge port (or, on a node without a bridge, host device) name → live port.</summary>
    public required IReadOnlyList<LabPortBinding> Ports { get; init; }

    /// <summary>
    /// <c>local:</c> the node's own stack bound to a live port (a TAP in the node's namespace): what comes in is sent by the
    /// node's processes (ip_local_out), what the host delivers to its sockets goes out; <c>mac</c> is the namespace side's. Or null.
    /// </summary>
    public LabPortBinding? Local { get; init; }

    /// <summary>Run the scenario's Linux host (routes, neighbours, iptables) behind the gateway port (default true).</summary>
    public bool Host { get; init; } = true;

    /// <summary>For a node that is not in the scenario: its flows (add-flows text) and where they came from.</summary>
    public string? FlowsText { get; init; }

    public string? FlowsSource { get; init; }

    /// <summary>'addFlows': rules (add-flows syntax) added after the node's own or the scenario's flows.</summary>
    public string? AddFlowsText { get; init; }

    /// <summary>Where <see cref="AddFlowsText"/> came from, for error positions.</summary>
    public string? AddFlowsSource { get; init; }

    /// <summary>The 1-based position of the node's entry (for errors found while building it).</summary>
    public int Line { get; init; }

    public int Column { get; init; }
}
