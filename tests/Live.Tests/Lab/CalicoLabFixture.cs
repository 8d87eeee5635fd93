namespace Datapath.Live.Tests.Lab;

/// <summary>`datapath lab up --lab calico` once for <see cref="CalicoLabTests"/>: three nodes, six workload pods, three node namespaces.</summary>
public sealed class CalicoLabFixture : IDisposable
{
    public LiveLab Lab { get; } = new(["--lab", "calico"], nodes: 3);

    public void Dispose() => Lab.Dispose();
}
