namespace Datapath.Antrea.Import;

/// <summary>An EndpointSlice: the Service it belongs to (<c>namespace/name</c>), its ready addresses and its ports (name → port).</summary>
public sealed record EndpointSliceDump(string Service, List<string> Addresses, Dictionary<string, int> Ports);
