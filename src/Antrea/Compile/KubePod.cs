namespace Datapath.Antrea.Compile;

/// <summary>A Pod: its namespace, name, labels and the node it runs on.</summary>
public sealed record KubePod(string Namespace, string Name, Dictionary<string, string> Labels, string? NodeName);
