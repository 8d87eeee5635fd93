namespace Datapath.Antrea.Compile;

/// <summary>A container's port (spec.containers[].ports[]): its name (empty when none), protocol and number.</summary>
public sealed record KubeContainerPort(string Name, string Protocol, int Port);
