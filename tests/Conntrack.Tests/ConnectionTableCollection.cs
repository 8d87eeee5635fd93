namespace Datapath.Conntrack.Tests;

/// <summary>Tests that allocate large tables run after the parallel ones, so heap measurements
/// (ResourceTests.Memory_per_connection_is_at_most_256_bytes) see only their own allocations.</summary>
[CollectionDefinition(nameof(ConnectionTableCollection), DisableParallelization = true)]
public sealed class ConnectionTableCollection;
