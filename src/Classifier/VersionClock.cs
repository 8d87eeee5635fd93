namespace Datapath.Classifier;

/// <summary>
/// The published version of a set of classifiers (OVS's ovs_version_t).  Rules carry the versions
/// in which they are visible; a bundle stages its changes at Current + 1 and publishes them all at
/// once by advancing the clock.
/// </summary>
internal sealed class VersionClock
{
    private long _current = 1;

    public long Current => Volatile.Read(ref _current);

    /// <summary>Publishes <paramref name="version"/> (must be Current + 1).</summary>
    public void Publish(long version) => Volatile.Write(ref _current, version);
}
