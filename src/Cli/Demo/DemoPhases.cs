namespace Datapath.Cli.Demo;

/// <summary>The demo's packets, in the order the seed articles walk them: the Antrea seed lab's, the Calico lab's, or the Antrea 2.x lab's.</summary>
internal static class DemoPhases
{
    /// <summary>
    /// The phases for a lab: Calico's when its nodes are Calico's, the Antrea 2.x lab's when its bridges run Antrea 2.x's
    /// pipeline (table 0 named PipelineRootClassifier, as cluster.yaml's <c>tables: antrea-2</c> names it), else the seed's.
    /// </summary>
    public static IReadOnlyList<DemoPhase> For(Antrea.AntreaScenario scenario)
        => scenario.IsCalico ? Calico
            : scenario.Cluster.Nodes.Any(n => n.Bridge.TableNames?.NameOf(0) == "PipelineRootClassifier") ? Antrea2
            : All;


    /// <summary>The Calico lab (seeds 002 and 003): the curl from a node, its answer, a pod's gateway, DNS, a three-endpoint Service.</summary>
    public static IReadOnlyList<DemoPhase> Calico { get; } =
    [
        new("Seed 002: curl http://10.43.156.98:9898 from worker1's own stack", "worker1", "(host stack)",
            "SRC=192.168.1.88 DST=10.43.156.98 LEN=60 ID=45471 SPORT=49058 DPORT=9898 SYN: OUTPUT's DNAT, vxlan.calico, MASQUERADE, VXLAN to worker2, podinfo's veth",
            CalicoFrames.CurlSynFromNode) { FromHost = true },
        new("podinfo's SYN-ACK on its way back to worker1's stack", "worker2", CalicoFrames.Worker2PodinfoVeth,
            "5e:a8:33:f1:6c:04 > ee:ee:ee:ee:ee:ee, 10.42.54.194.9898 > 10.42.135.130 [S.]: VXLAN back, MASQUERADE and DNAT undone, delivered",
            () => []) { ReplyTo = 0, Reply = CalicoFrames.SynAckTo },
        new("The debug pod resolves its gateway 169.254.1.1 (proxy ARP)", "worker1", CalicoFrames.Worker1DebugVeth,
            "ARP, Request who-has 169.254.1.1 tell 10.42.135.132: no host has it; the veth answers with ee:ee:ee:ee:ee:ee", CalicoFrames.DebugArpForGateway),
        new("Seed 003: the debug pod asks kube-dns (10.43.0.10:53)", "worker1", CalicoFrames.Worker1DebugVeth,
            "10.42.135.132.41234 > 10.43.0.10.53: A? backend-service.default.svc.cluster.local", CalicoFrames.DebugDnsQuery),
        new("Seed 003: the debug pod connects to backend-service (10.43.199.177:8000, three endpoints)", "worker1", CalicoFrames.Worker1DebugVeth,
            "10.42.135.132.51324 > 10.43.199.177.8000: Flags [S]: KUBE-SVC-ZZAJ2COS27FT6J6V picks one of three", CalicoFrames.DebugSynToBackendService),
    ];

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

    /// <summary>
    /// The Antrea 2.x lab: the frontend's SYN to backendsvc (AntreaProxy's group picks a backend in br-int, no kube-proxy),
    /// the backend's answer, the session-affinity Service, a NodePort from worker2's own stack across the tunnel to the
    /// frontend, the policies' verdicts, and the seed's ARP walks in the new tables.
    /// </summary>
    public static IReadOnlyList<DemoPhase> Antrea2 { get; } =
    [
        new("The frontend's SYN to backendsvc (10.104.65.133:80): ServiceLB's select group picks backend1, EndpointDNAT, IngressRule", "worker1", "frontend-a3ba2f",
            "be:2c:bf:e4:ec:c5 > 4e:99:08:c1:53:be, 10.222.1.48.56670 > 10.104.65.133.80: Flags [S]", SeedFrames.FrontendSyn),
        new("backend1's SYN-ACK on its way back (un-DNAT in ConntrackZone)", "worker1", "backend1-bab86f",
            "f2:32:d8:07:e2:a6 > 4e:99:08:c1:53:be, 10.222.1.47.80 > 10.222.1.48.56670: Flags [S.]", () => []) { ReplyTo = 0, Reply = Antrea2Frames.SynAckTo },
        new("The frontend's SYN to backendsvc-affinity (10.104.65.140:80, sessionAffinity: ClientIP): the group picks backend2, ServiceLB learns it, the tunnel", "worker1", "frontend-a3ba2f",
            "be:2c:bf:e4:ec:c5 > 4e:99:08:c1:53:be, 10.222.1.48.56672 > 10.104.65.140.80: Flags [S]", Antrea2Frames.FrontendSynToAffinityService),
        new("curl http://10.79.1.202:30080 from worker2's own stack: ANTREA-OUTPUT's DNAT to 169.254.0.252, NodePortMark, SNAT to the gateway, the tunnel", "worker2", "(host stack)",
            "SRC=10.79.1.202 DST=10.79.1.202 SPORT=41820 DPORT=30080 SYN -> frontendsvc's endpoint 10.222.1.48:80 on worker1", Antrea2Frames.CurlNodePortFromWorker2) { FromHost = true },
        new("backend1's SYN to the frontend: backendpolicy isolates the backends' egress (EgressDefaultRule drops it)", "worker1", "backend1-bab86f",
            "f2:32:d8:07:e2:a6 > 4e:99:08:c1:53:be, 10.222.1.47.38100 > 10.222.1.48.80: Flags [S]", Antrea2Frames.Backend1SynToFrontend),
        new("The frontend's DNS query to 10.79.1.5:53: frontendpolicy's UDP 53 rule admits it; EgressMark, the gateway, masquerade", "worker1", "frontend-a3ba2f",
            "be:2c:bf:e4:ec:c5 > 4e:99:08:c1:53:be, 10.222.1.48.40001 > 10.79.1.5.53: UDP", Antrea2Frames.FrontendUdpToPort53),
        // The seed's side stories, the same frames in the new tables: SpoofGuard, ARPSpoofGuard and NORMAL, ARPResponder.
        All[3], All[4], All[5],
    ];
}
