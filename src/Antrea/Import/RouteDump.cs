using Datapath.Engine.Host;

namespace Datapath.Antrea.Import;

/// <summary>One route of the main table, as cluster.yaml's <c>routes:</c> takes it, with the host's reading of it and its line in the dump.</summary>
public sealed record RouteDump(string Text, RouteEntry Route, int Line);
