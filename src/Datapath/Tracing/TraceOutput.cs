namespace Datapath.Engine.Tracing;

/// <summary>A copy of the packet leaving a port: the frame exactly as it leaves (GENEVE-encapsulated for the tunnel port).</summary>
public sealed record TraceOutput(string Node, string Port, uint OfPort, byte[] Frame);
