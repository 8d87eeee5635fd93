namespace Datapath.Engine.Host;

/// <summary>A frame waiting for its neighbour: the routed packet (Ethernet header still to be written), whether it was forwarded, and whether its source is the host's own address (no ICMP error then: the local socket hears of the failure).</summary>
internal readonly record struct QueuedFrame(byte[] Frame, bool Forwarded, bool Local);
