namespace Datapath.Antrea.Compile;

/// <summary>One port of a Service's spec.</summary>
public sealed record KubeServicePortSpec(string Name, string Protocol, int Port, string TargetPort, int NodePort);
