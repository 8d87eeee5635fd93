using Datapath.Packets;

namespace Datapath.Classifier.Tests;

public class AllocationTests
{
    [Fact]
    public void Lookups_do_not_allocate_including_conjunctive_ones()
    {
        FlowTableSet set = Scenario.Load("worker1", Scenario.Worker1Ports);
        FlowKey conj = Scenario.Ipv4("10.222.1.48", "10.222.2.34", IpProtocols.Tcp, 80);
        FlowKey plain = Scenario.Ipv4("10.222.1.47", "10.222.2.34", IpProtocols.Tcp, 22);
        FlowKey consulted = default;
        for (int i = 0; i < 100; i++)
        {
            set.Lookup(50, in conj, ref consulted);
            set.Lookup(50, in plain, ref consulted);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            set.Lookup(50, in conj, ref consulted);
            set.Lookup(50, in plain, ref consulted);
            set.Lookup(10, in plain, ref consulted);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
