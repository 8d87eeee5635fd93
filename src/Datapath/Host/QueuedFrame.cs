namespace Datapath.Engine.Host;

/// <summary>A frame waiting for its neighbour: the routed packet (Ethernet header still to be written), and whether it was forwarded (counted so when it is sent).</summary>
internal readonly record struct QueuedFrame(byte[] Frame, bool Forwarded);
