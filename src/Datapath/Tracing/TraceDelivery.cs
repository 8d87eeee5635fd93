namespace Datapath.Engine.Tracing;

/// <summary>A frame a node's host stack accepted for itself (INPUT: an ARP reply, an echo, a local socket's segment).</summary>
public sealed record TraceDelivery(string Node, int Length);
