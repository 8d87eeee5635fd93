namespace Datapath.Cli.Demo;

/// <summary>The demo's packets, in the order the seed articles walk them.</summary>
internal static class DemoPhases
{
    public static IReadOnlyList<DemoPhase> All { get; } =
    [
        new("Phases 1-3: the frontend's SYN to backendsvc (10.104.65.133:80)", "worker1", "frontend-a3ba2f",
            "be:2c:bf:e4:ec:c5 > 4e:99:08:c1:53:be, 10.222.1.48.56670 > 10.104.65.133.80: Flags [S]", SeedFrames.FrontendSyn),
        new("Phase 2 as the seed's tcpdump saw it: the DNATed SYN coming back into OVS on antrea-gw0", "worker1", "antrea-gw0",
            "4e:99:08:c1:53:be > aa:bb:cc:dd:ee:ff, 10.222.1.48.56670 > 10.222.2.34.80: Flags [S]", SeedFrames.DnatedSyn),
        new("Phase 4: backend2's SYN-ACK on its way back", "worker2", "backend2-202ff6",
            "c6:f4:b5:76:10:38 > 02:d8:4e:3f:92:1d, 10.222.2.34.80 > 10.222.1.48.56670: Flags [S.]", SeedFrames.Backend2SynAck),
        new("A spoofed source on the frontend's port", "worker1", "frontend-a3ba2f",
            "10.222.1.99 > 10.104.65.133.80: Flags [S] from the frontend's MAC", SeedFrames.SpoofedSyn),
        new("The frontend resolves its gateway", "worker1", "frontend-a3ba2f",
            "ARP, Request who-has 10.222.1.1 tell 10.222.1.48", SeedFrames.FrontendArpForGateway),
        new("The seed's `arp -a` mystery: who answers for 10.222.2.1?", "worker1", "antrea-gw0",
            "ARP, Request who-has 10.222.2.1 tell 10.222.1.1", SeedFrames.HostArpForPeerGateway),
    ];
}
