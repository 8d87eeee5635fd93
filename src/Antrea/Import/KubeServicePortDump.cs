namespace Datapath.Antrea.Import;

/// <summary>One port of a Service: its name (empty when unnamed), port, protocol, NodePort (0: none) and targetPort when a number.</summary>
public sealed record KubeServicePortDump(string Name, int Port, string Protocol, int NodePort, int? TargetPort);
