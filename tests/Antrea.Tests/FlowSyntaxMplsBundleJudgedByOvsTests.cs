using System.Buffers.Binary;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Packets;
using static Datapath.Antrea.Tests.FlowSyntaxJudgedByOvsTests;

namespace Datapath.Antrea.Tests;

// Open vSwitch 3.1 judges sample, enqueue, set_queue, bundle, bundle_load, multipath and MPLS (issue 15.4) as
// FlowSyntaxJudgedByOvsTests judges the rest: our print-back is what OVS dumps, what OVS refuses we refuse, and every
// port sends the frames OVS sends. The frames here are many per case (random flows through one switch), so that
// bundle's and multipath's choice is OVS's for every hash, and each frame after the first of a megaflow takes the
// flow cache in both switches.
public sealed class FlowSyntaxMplsBundleJudgedByOvsTests
{
    /// <summary>
    /// A flow and the OpenFlow version it is installed and dumped in: "nxm" (installed over OpenFlow 1.5, dumped in
    /// ovs-ofctl's default), "of15" (dumped over OpenFlow 1.5), "of10" (installed over OpenFlow 1.0, as a controller
    /// speaking it installs enqueue and the NXAST set_mpls_* actions, which OpenFlow 1.5 turns into set_queue/output/
    /// pop_queue and set_field).
    /// </summary>
    public static TheoryData<string, string> Printed => new()
    {
        { "actions=sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3)", "nxm" },
        { "actions=sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,sampling_port=2,ingress),output:2", "nxm" },
        { "actions=sample(probability=7,collector_set_id=0,obs_domain_id=0,obs_point_id=0,egress)", "of15" },
        { "actions=enqueue:2:3", "of10" },
        { "actions=enqueue(LOCAL,7),output:3", "of10" },
        { "actions=set_queue:3,output:2,pop_queue", "nxm" },
        { "actions=bundle(eth_src,0,hrw,ofport,members:1,2,3)", "nxm" },
        { "actions=bundle(symmetric_l4,60,active_backup,ofport,slaves:2,3)", "nxm" },
        { "actions=bundle(symmetric_l3l4,5,hrw,ofport,members:IN_PORT,4)", "of15" },
        { "actions=bundle_load(symmetric_l3l4+udp,0,hrw,ofport,NXM_NX_REG0[],members:2,3)", "nxm" },
        { "actions=bundle_load(nw_src,0,hrw,ofport,reg0[0..15],members:2,3)", "nxm" },
        { "actions=bundle_load(nw_dst,1,active_backup,ofport,NXM_NX_REG1[16..31],members:4)", "of15" },
        { "actions=multipath(eth_src,50,modulo_n,2,0,NXM_NX_REG0[])", "nxm" },
        { "actions=multipath(symmetric_l3,50,iter_hash,3,4,reg1[0..1])", "nxm" },
        { "actions=multipath(symmetric_l4,1024,hash_threshold,7,0,NXM_NX_REG2[0..2])", "nxm" },
        { "actions=multipath(nw_dst,0,hrw,65536,0,reg3[0..15])", "of15" },
        { "mpls,mpls_label=5,mpls_tc=3,mpls_bos=1,mpls_ttl=64,actions=drop", "nxm" },
        { "dl_type=0x8847,mpls_label=5,actions=pop_mpls:0x0800", "nxm" },
        { "dl_type=0x8848,mpls_bos=0,actions=pop_mpls:0x8847", "of15" },
        { "ip,actions=push_mpls:0x8847,set_mpls_label(10),set_mpls_tc(3),set_mpls_ttl(9),dec_mpls_ttl", "of10" },
        { "ipv6,actions=push_mpls:0x8848,set_mpls_label:10,set_mpls_tc:3,set_mpls_ttl:9", "of10" },
        { "ip,actions=push_mpls:0x8847,set_mpls_ttl(9),dec_mpls_ttl,output:2", "nxm" },
        { "mpls,actions=set_field:7->mpls_label,set_field:2->mpls_tc", "of15" },
        { "mpls,actions=load:0x7->OXM_OF_MPLS_LABEL[],load:0x2->OXM_OF_MPLS_TC[]", "nxm" },
        { "mpls,mpls_label=0x10,actions=drop", "nxm" },
        { "mpls,actions=set_field:5->mpls_ttl", "of15" },
        { "mpls,actions=load:0x5->NXM_NX_MPLS_TTL[]", "nxm" },
        { "mpls,actions=move:OXM_OF_MPLS_LABEL[]->NXM_NX_REG0[0..19]", "nxm" },
        { "actions=multipath(eth_src,0,modulo_n,2,0,NXM_OF_ETH_DST[0..15])", "nxm" },
        { "ip,actions=multipath(eth_src,0,modulo_n,2,0,NXM_OF_IP_DST[0..15])", "nxm" },
        { "actions=bundle_load(eth_src,0,hrw,ofport,NXM_OF_VLAN_TCI[],members:1)", "nxm" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Printed))]
    public void Our_dump_of_an_mpls_bundle_or_queue_flow_is_what_ovs_dumps_for_it(string flow, string version)
    {
        if (version != "of10")
        {
            AssertOvsDumpsOurPrintBack(flow, version);
            return;
        }
        var br = OurBridge();
        br.AddFlow(flow);
        string ours = br.DumpFlows(withStats: false, names: NamesShown.None).Single();
        using var ovs = StartOvs();
        ovs.Ofctl("del-flows", ovs.Bridge);
        ovs.Ofctl("-O", "OpenFlow10", "add-flow", ovs.Bridge, ours);
        Assert.Equal(OvsDump(ovs, "nxm"), ours);
    }

    /// <summary>With port names shown (<c>--names</c>), members, the enqueue port and the sampling port print as names, reserved ports as theirs.</summary>
    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Members_and_queue_ports_print_as_port_names_as_ovs_prints_them()
    {
        string[] flows =
        [
            "in_port=1,actions=bundle(eth_src,0,hrw,ofport,members:1,2,LOCAL),enqueue:2:3,sample(probability=5,collector_set_id=1,obs_domain_id=2,obs_point_id=3,sampling_port=3)",
            "in_port=2,actions=enqueue:IN_PORT:3,bundle_load(eth_src,0,hrw,ofport,reg0[],members:4,IN_PORT)",
        ];
        var br = OurBridge();
        using var ovs = StartOvs();
        ovs.Ofctl("del-flows", ovs.Bridge);
        foreach (string flow in flows)
        {
            br.AddFlow(flow);
            ovs.Ofctl("-O", "OpenFlow10", "add-flow", ovs.Bridge, flow);
        }
        string[] theirs = [.. ovs.Ofctl("--names", "--no-stats", "dump-flows", ovs.Bridge).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        Assert.Equal(theirs, br.DumpFlows(withStats: false, names: NamesShown.Ports));
    }

    /// <summary>What OVS refuses, refused with its reason: the flow, then the column and words of our error.</summary>
    public static TheoryData<string, string> Refused => new()
    {
        { "actions=bundle(eth_src,0,foo,ofport,members:1,2)", "1:26: eth_src,0,foo,ofport,members:1,2: unknown algorithm `foo'" },
        { "actions=bundle(eth_src,0,hrw,ofport,1,2)", "1:37: eth_src,0,hrw,ofport,1,2: missing member delimiter, expected `members', got `1,2'" },
        { "actions=bundle(foo,0,hrw,ofport,members:1,2)", "1:16: foo,0,hrw,ofport,members:1,2: unknown fields `foo'" },
        { "actions=bundle(eth_src,0,hrw,ofp,members:1,2)", "1:30: eth_src,0,hrw,ofp,members:1,2: unknown member_type `ofp'" },
        { "actions=bundle(eth_src,0,hrw)", "1:16: eth_src,0,hrw: not enough arguments to bundle action" },
        { "actions=bundle(eth_src,0,hrw,ofport,members:1,x)", "1:47: x: bad port number" },
        { "actions=bundle_load(eth_src,0,hrw,ofport,reg0[0..7],members:1,2)", "1:42: bundle_load action requires at least 16 bit destination (OFPBAC_BAD_ARGUMENT)" },
        { "actions=bundle(eth_src,0,hrw,ofport,members:CONTROLLER)", "1:45: actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)" },
        { "actions=multipath(eth_src,50,modulo_n,0,0,reg0[])", "1:39: eth_src,50,modulo_n,0,0,reg0[]: n_links 0 is not in valid range 1 to 65536" },
        { "actions=multipath(eth_src,50,modulo_n,5,0,reg0[0..1])", "1:43: eth_src,50,modulo_n,5,0,reg0[0..1]: 2-bit destination field has 4 possible values, less than specified n_links 5" },
        { "actions=multipath(eth_src,50,foo,2,0,reg0[])", "1:30: eth_src,50,foo,2,0,reg0[]: unknown algorithm `foo'" },
        { "actions=multipath(eth_src,50,modulo_n,2,0)", "1:19: eth_src,50,modulo_n,2,0: not enough arguments to multipath action" },
        { "actions=multipath(bar,50,modulo_n,2,0,reg0[])", "1:19: bar,50,modulo_n,2,0,reg0[]: unknown fields `bar'" },
        { "ip,actions=push_mpls:0x0800", "1:22: push_mpls: 0x0800 is not an MPLS EtherType (OFPBAC_BAD_ARGUMENT)" },
        { "mpls,actions=pop_mpls", "1:14: pop_mpls: argument missing" },
        { "actions=set_mpls_tc(9)", "1:21: 9: not a valid MPLS TC" },
        { "actions=set_mpls_label(1048576)", "1:24: 1048576: not a valid MPLS label" },
        { "actions=set_mpls_ttl(256)", "1:22: invalid MPLS TTL \"256\"" },
        { "ip,actions=set_field:5->mpls_label", "1:12: set_field:5->mpls_label: mpls_label: prerequisites not met (OFPBMC_BAD_PREREQ: a prerequisite was not met): mpls_label requires mpls or mplsm (dl_type=0x8847 or 0x8848)" },
        { "mpls,actions=set_field:1048576->mpls_label", "1:24: set_field: mpls_label: value 1048576 does not fit in 20 bits" },
        { "mpls,actions=set_field:8->mpls_tc", "1:24: set_field: mpls_tc: value 8 does not fit in 3 bits" },
        { "mpls,actions=set_field:1->mpls_bos", "1:27: field mpls_bos is read-only" },
        { "mpls,mpls_label=5/0xff,actions=drop", "1:17: mpls_label: field does not support masking (ovs-fields(7) lists it as not maskable)" },
        { "mpls,mpls_ttl=5/0xf,actions=drop", "1:15: mpls_ttl: field does not support masking (ovs-fields(7) lists it as not maskable)" },
        { "mpls,mpls_tc=5/1,actions=drop", "1:14: mpls_tc: field does not support masking (ovs-fields(7) lists it as not maskable)" },
        { "actions=multipath(eth_src,0,modulo_n,2,0,NXM_OF_IP_DST[0..15])", "1:9: multipath(eth_src,0,modulo_n,2,0,NXM_OF_IP_DST[0..15]): nw_dst: prerequisites not met (OFPBMC_BAD_PREREQ: a prerequisite was not met): nw_dst requires ip or arp" },
        { "mpls,mpls_ttl=300,actions=drop", "1:15: mpls_ttl: value 300 does not fit in 8 bits" },
        { "actions=sample(collector_set_id=1)", "1:16: non-zero \"probability\" must be specified on sample" },
        { "actions=sample(probability=0)", "1:28: invalid probability value \"0\"" },
        { "actions=sample(probability=70000)", "1:28: invalid probability \"70000\"" },
        { "actions=sample(probability=1,foo=2)", "1:30: invalid key \"foo\" in \"sample\" argument" },
        { "actions=enqueue:2", "1:17: \"enqueue\" syntax is \"enqueue:PORT:QUEUE\" or \"enqueue(PORT,QUEUE)\"" },
        { "actions=enqueue:NORMAL:3", "1:17: actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)" },
        { "actions=enqueue:70000:3", "1:17: 70000: enqueue to unknown port" },
        { "actions=set_queue:x", "1:19: queue id: 'x' is not a number" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Refused))]
    public void What_ovs_refuses_in_mpls_bundle_or_queue_we_refuse_with_its_reason(string flow, string error) => AssertOvsAndWeRefuse(flow, error);

    /// <summary>
    /// Deliberate differences: an MPLS match OVS 3.1 accepts only by changing it (ovs-ofctl warns "normalization
    /// changed ofp_match" and drops a match without its dl_type; it truncates a value wider than the field to its
    /// bits) is refused here, located, rather than installed as a flow that matches other packets than it says.
    /// </summary>
    public static TheoryData<string, string, string> ChangedByOvs => new()
    {
        { "mpls_label=5,actions=drop", "actions=drop", "1:1: mpls_label: prerequisites not met (OFPBMC_BAD_PREREQ: a prerequisite was not met): mpls_label requires mpls or mplsm (dl_type=0x8847 or 0x8848)" },
        { "ip,mpls_tc=1,actions=drop", "ip actions=drop", "1:4: mpls_tc: prerequisites not met (OFPBMC_BAD_PREREQ: a prerequisite was not met): mpls_tc requires mpls or mplsm (dl_type=0x8847 or 0x8848)" },
        { "mpls,mpls_label=1048576,actions=drop", "mpls,mpls_label=0 actions=drop", "1:17: mpls_label: value 1048576 does not fit in 20 bits" },
        { "mpls,mpls_tc=8,actions=drop", "mpls,mpls_tc=0 actions=drop", "1:14: mpls_tc: value 8 does not fit in 3 bits" },
        { "mpls,mpls_bos=2,actions=drop", "mpls,mpls_bos=0 actions=drop", "1:15: mpls_bos: value 2 does not fit in 1 bits" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(ChangedByOvs))]
    public void An_mpls_match_ovs_changes_as_it_installs_it_we_refuse(string flow, string ovsDump, string error)
    {
        using var ovs = StartOvs();
        ovs.Ofctl("del-flows", ovs.Bridge);
        ovs.Ofctl("add-flow", ovs.Bridge, flow);
        Assert.Equal(ovsDump, OvsDump(ovs, "nxm"));
        var e = Assert.Throws<InputException>(() => OurBridge().AddFlow(flow, "case.flows"));
        Assert.Contains("case.flows:" + error, e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A deliberate difference: an IP rewrite after push_mpls (the packet is MPLS, its IP header opaque) is refused by
    /// OVS over OpenFlow 1.1+ (check_set_ipv4: inconsistent with the match) and accepted only over OpenFlow 1.0, which
    /// checks nothing; we refuse it, as we refuse every IP rewrite on a flow that does not match IP.
    /// </summary>
    [JudgedFact(nameof(OvsSwitchJudge))]
    public void An_ip_rewrite_after_push_mpls_only_openflow_10_accepts_we_refuse()
    {
        const string flow = "ip,actions=push_mpls:0x8847,mod_nw_dst:10.0.0.9,output:2";
        using var ovs = StartOvs();
        var (v15, _, why) = ovs.TryOfctl("-O", "OpenFlow15", "add-flow", ovs.Bridge, flow);
        Assert.NotEqual(0, v15);
        Assert.Contains("none of the usable flow formats (OpenFlow10,NXM)", why, StringComparison.Ordinal);
        ovs.Ofctl("-O", "OpenFlow10", "add-flow", ovs.Bridge, flow);
        var e = Assert.Throws<InputException>(() => OurBridge().AddFlow(flow, "case.flows"));
        Assert.Contains("case.flows:1:29: mod_nw_dst:10.0.0.9: nw_dst: prerequisites not met", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Flows, then the frames that enter p1 (a name of <see cref="Frames"/>).</summary>
    public static TheoryData<string, string> Walks => new()
    {
        // bundle hrw: each flow's member is the one with the highest hash of (member index, flow hash); the members
        // are all up (OVS's dummy ports are, ours always are).
        { "actions=bundle(eth_src,0,hrw,ofport,members:2,3,4)", "random" },
        { "actions=bundle(symmetric_l4,60,hrw,ofport,members:2,3,4)", "random" },
        { "actions=bundle(symmetric_l3l4,7,hrw,ofport,members:4,3,2)", "random" },
        { "actions=bundle(symmetric_l3l4+udp,0,hrw,ofport,members:2,3,4)", "random" },
        { "actions=bundle(nw_src,0,hrw,ofport,members:2,3,4)", "random" },
        { "actions=bundle(nw_dst,3,hrw,ofport,members:2,3,4)", "random" },
        { "actions=bundle(symmetric_l3,0,hrw,ofport,members:2,3,4)", "random" },
        { "actions=bundle(symmetric_l4,0,hrw,ofport,members:2,3,4)", "random6" },
        { "actions=bundle(symmetric_l3,0,hrw,ofport,members:2,3,4)", "random6" },
        // Frames of every kind (tagged, ARP, ICMP, IPv6, fragments, neither IP nor ARP) through each hash.
        { "actions=bundle(symmetric_l4,0,hrw,ofport,members:2,3,4)", "mixed" },
        { "actions=bundle(symmetric_l3l4,0,hrw,ofport,members:2,3,4)", "mixed" },
        { "actions=bundle(symmetric_l3l4+udp,0,hrw,ofport,members:2,3,4)", "mixed" },
        { "actions=bundle(nw_src,0,hrw,ofport,members:2,3,4)", "mixed" },
        { "actions=bundle(nw_dst,0,hrw,ofport,members:2,3,4)", "mixed" },
        { "actions=bundle(symmetric_l3,0,hrw,ofport,members:2,3,4)", "mixed" },
        { "actions=bundle(eth_src,0,hrw,ofport,members:2,3,4)", "mixed" },
        // A member that is not a port of the bridge is never chosen; IN_PORT is live.
        { "actions=bundle(eth_src,0,hrw,ofport,members:9,3,IN_PORT)", "random" },
        { "actions=bundle(nw_src,0,active_backup,ofport,members:9,3,2)", "random" },
        { "actions=bundle(nw_src,0,active_backup,ofport,members:9)", "random" },
        { "actions=bundle(nw_src,0,active_backup,ofport,members:NONE,2)", "udp" },
        { "actions=bundle(nw_src,0,active_backup,ofport,members:LOCAL,2)", "udp" },
        { "actions=bundle(nw_src,0,hrw,ofport,members:)", "udp" },
        // bundle_load writes the member's port number, NONE (0xffff) when none is live.
        { "actions=bundle_load(symmetric_l3l4+udp,0,hrw,ofport,NXM_NX_REG0[],members:2,3,4),output:NXM_NX_REG0[0..15]", "random" },
        { "actions=bundle_load(eth_src,0,hrw,ofport,reg1[0..15],members:9),resubmit(,1)\ntable=1,reg1=0xffff,actions=output:2\ntable=1,actions=output:3", "random" },
        // multipath: the link each algorithm picks, into a register a second table dispatches on.
        { "actions=multipath(eth_src,50,modulo_n,3,0,reg0[0..1]),resubmit(,1)\n" + LinkTable, "random" },
        { "actions=multipath(symmetric_l4,1024,hash_threshold,3,0,NXM_NX_REG0[]),resubmit(,1)\n" + LinkTable, "random" },
        { "actions=multipath(symmetric_l3l4,0,hrw,3,0,reg0[0..15]),resubmit(,1)\n" + LinkTable, "random" },
        { "actions=multipath(symmetric_l3l4+udp,9,iter_hash,3,4,reg0[0..1]),resubmit(,1)\n" + LinkTable, "random" },
        { "actions=multipath(nw_src,0,iter_hash,3,0,reg0[0..15]),resubmit(,1)\n" + LinkTable, "random" },
        { "actions=multipath(symmetric_l3,0,hrw,3,0,reg0[0..15]),resubmit(,1)\n" + LinkTable, "random6" },
        // The link itself, written into eth_dst's low 16 bits: every algorithm over many links (hrw above 64 is iter_hash).
        { "actions=multipath(symmetric_l4,0,modulo_n,1000,0,reg0[0..15]),move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:2", "mixed" },
        { "actions=multipath(symmetric_l3l4+udp,0,hash_threshold,1000,0,reg0[0..15]),move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:2", "mixed" },
        { "actions=multipath(symmetric_l3l4,0,hrw,60,0,reg0[0..15]),move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:2", "mixed" },
        { "actions=multipath(nw_src,0,hrw,65,0,reg0[0..15]),move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:2", "mixed" },
        { "actions=multipath(nw_dst,0,iter_hash,1000,1024,reg0[0..15]),move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:2", "mixed" },
        { "actions=multipath(symmetric_l3,5,iter_hash,3000,100,reg0[0..15]),move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:2", "mixed" },
        { "actions=multipath(eth_src,0,modulo_n,65536,0,NXM_NX_REG0[]),move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:2", "mixed" },
        { "actions=multipath(symmetric_l4,0,modulo_n,5,0,reg0[4..6]),move:NXM_NX_REG0[]->NXM_OF_ETH_DST[0..31],output:2", "mixed" },
        { "actions=bundle_load(symmetric_l3l4,0,hrw,ofport,reg0[8..23],members:2,3,4,5,6),move:NXM_NX_REG0[]->NXM_OF_ETH_DST[0..31],output:2", "mixed" },
        // push_mpls onto IP (tc from the DSCP, ttl from the IP TTL), the set actions, dec_mpls_ttl, a second push.
        { "ip,actions=push_mpls:0x8847,output:2", "udp" },
        { "ip,actions=push_mpls:0x8848,set_mpls_label(10),set_mpls_tc(3),set_mpls_ttl(9),dec_mpls_ttl,output:2", "udp" },
        { "ip,actions=push_mpls:0x8847,set_field:77->mpls_label,push_mpls:0x8847,set_mpls_label(88),output:3", "udp" },
        { "ipv6,actions=push_mpls:0x8847,output:2", "udp6" },
        { "arp,actions=push_mpls:0x8847,output:2", "arp" },
        { "actions=push_mpls:0x8847,output:2", "tagged" },
        { "ip,actions=push_mpls:0x8847,push_mpls:0x8847,push_mpls:0x8847,output:2", "udp" },
        { "ip,actions=push_mpls:0x8847,push_mpls:0x8847,push_mpls:0x8847,push_mpls:0x8847,output:2", "udp" },
        { "ip,actions=push_mpls:0x8847,output:2,pop_mpls:0x0800,output:3", "udp" },
        { "ip,actions=push_mpls:0x8847,resubmit(,1)\ntable=1,mpls,mpls_label=0,mpls_tc=6,mpls_ttl=33,mpls_bos=1,actions=output:2\ntable=1,actions=output:3", "udp" },
        { "ipv6,actions=push_mpls:0x8847,resubmit(,1)\ntable=1,mpls,mpls_label=2,actions=output:2\ntable=1,actions=output:3", "udp6" },
        { "ip,actions=push_mpls:0x8847,set_field:5->mpls_ttl,load:0x3->OXM_OF_MPLS_TC[],dec_mpls_ttl,output:2", "udp" },
        // MPLS packets: matched on the top entry, its fields rewritten, decremented, popped to IP.
        { "mpls,mpls_label=16,mpls_bos=1,actions=output:2\nmpls,actions=output:3", "mpls" },
        { "mpls,mpls_label=16,mpls_bos=1,actions=output:2\nmpls,mpls_tc=5,mpls_ttl=20,actions=output:4\nmpls,actions=output:3", "mpls2" },
        { "mpls,actions=set_mpls_label(99),set_mpls_tc(6),set_mpls_ttl(3),output:2", "mpls" },
        { "mpls,actions=dec_mpls_ttl,output:2", "mpls" },
        { "mpls,actions=dec_mpls_ttl,output:2", "mplsTtl1" },
        { "mpls,actions=push_mpls:0x8847,set_mpls_label(200),output:2", "mpls" },
        { "mpls,mpls_bos=1,actions=pop_mpls:0x0800,output:2", "mpls" },
        { "mpls,actions=pop_mpls:0x0800,resubmit(,1)\ntable=1,ip,nw_dst=10.10.0.2,actions=output:2\ntable=1,actions=output:3", "mpls" },
        { "mpls,actions=pop_mpls:0x8847,output:2", "mpls2" },
        { "mpls,actions=pop_mpls:0x8847,resubmit(,1)\ntable=1,mpls,mpls_label=16,mpls_tc=1,mpls_ttl=7,actions=output:2\ntable=1,actions=output:3", "mpls2" },
        // A pop to an EtherType that is not MPLS pops the whole stack (commit_mpls_action); OVS's flow holds 3 entries,
        // so a deeper stack is not popped, nor pushed onto beyond 3: the packet is dropped.
        { "mpls,actions=pop_mpls:0x0800,output:2", "mpls2" },
        { "mpls,actions=pop_mpls:0x0800,output:2", "mpls3" },
        { "mpls,actions=pop_mpls:0x8847,output:2,pop_mpls:0x8847,output:3", "mpls3" },
        { "mpls,actions=pop_mpls:0x8847,output:2", "mpls4" },
        { "mpls,actions=output:3,pop_mpls:0x0800,output:2", "mpls4" },
        { "mpls,actions=push_mpls:0x8847,output:2", "mpls3" },
        { "mpls,actions=push_mpls:0x8847,output:2,push_mpls:0x8847,output:3", "mpls2" },
        { "mpls,actions=push_mpls:0x8847,set_mpls_label(5),pop_mpls:0x0800,output:2", "mpls2" },
        { "ip,actions=push_mpls:0x8847,push_mpls:0x8847,pop_mpls:0x0800,output:2", "udp" },
        { "mpls,actions=pop_mpls:0x86dd,output:2", "mpls6" },
        { "mpls,actions=dec_ttl,output:2", "mpls" },
        { "mpls,actions=dec_mpls_ttl,output:2,dec_mpls_ttl,output:3", "mplsTtl2" },
        { "mpls,actions=set_mpls_ttl(0),output:2,dec_mpls_ttl,output:3", "mpls" },
        // MPLS actions on a flow that does not match MPLS (OVS takes them over OpenFlow 1.0 only): nothing to change,
        // and dec_mpls_ttl ends the list; dec_ttl on an MPLS packet does nothing.
        { "ip,actions=set_mpls_label(5),dec_mpls_ttl,output:2\nactions=output:3", "udp" },
        { "ip,actions=pop_mpls:0x0800,output:2", "udp" },
        { "ip,actions=push_mpls:0x8847,dec_ttl,output:2", "udp" },
        { "mpls,mpls_label=16,actions=output:2\nmplsm,mpls_label=16,actions=output:3\nactions=output:4", "mplsm" },
        { "mpls,actions=push_vlan:0x8100,mod_vlan_vid:5,output:2", "mpls" },
        // sample with no IPFIX on the bridge does nothing; enqueue is an output (no queues in either datapath).
        { "actions=sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3),output:2", "random" },
        { "actions=enqueue:2:3,set_queue:5,output:3,pop_queue,enqueue(IN_PORT,1)", "udp" },
    };

    // Table 1 sends multipath's link (reg0) to a port: 0 to p2, 1 to p3, 2 to p4.
    private const string LinkTable = "table=1,reg0=0,actions=output:2\ntable=1,reg0=1,actions=output:3\ntable=1,reg0=2,actions=output:4";

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Walks))]
    public void Every_port_sends_what_ovs_sends_through_mpls_bundle_and_multipath(string flows, string frames)
        => AssertEveryPortSendsWhatOvsSendsForEach(flows, Frames(frames));

    /// <summary>
    /// Loads <paramref name="flows"/> into OVS and our bridge and sends <paramref name="frames"/> into p1 of both, one
    /// after the other, ours without a trace (so that the later frames of a megaflow take both switches' caches); after
    /// each, every port has sent the same so far.
    /// </summary>
    private static void AssertEveryPortSendsWhatOvsSendsForEach(string flows, byte[][] frames)
    {
        using var ovs = StartOvs();
        string dir = Directory.CreateTempSubdirectory("fx").FullName;
        try
        {
            foreach (var (_, name) in s_ports)
                ovs.SetInterfaceOptions(name, $"tx_pcap={dir}/{name}.pcap");
            var br = LoadInBoth(ovs, flows);
            using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Client);
            var sent = new SentFrames();
            for (int i = 0; i < frames.Length; i++)
            {
                node.Process(1, frames[i], sent, i);
                string[] ours = [.. sent.Frames.Order(StringComparer.Ordinal)];
                ovs.Appctl("netdev-dummy/receive", "p1", Convert.ToHexString(frames[i]));
                string[] theirs = Transmitted(dir, ours.Length, linger: i == frames.Length - 1);
                Assert.True(theirs.SequenceEqual(ours), $"after frame {i} ({Convert.ToHexString(frames[i])}): OVS sent\n  {string.Join("\n  ", theirs)}\nwe sent\n  {string.Join("\n  ", ours)}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Every frame our node sent, as PORT:HEX.</summary>
    private sealed class SentFrames : IPacketSink
    {
        public List<string> Frames { get; } = [];

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame) => Frames.Add($"{port.Name}:{Convert.ToHexString(frame)}");
    }

    /// <summary>Flows, then the frame (a name of <see cref="Frames"/>) whose ofproto/trace datapath actions we print as OVS does.</summary>
    public static TheoryData<string, string> Traced => new()
    {
        { "ip,actions=push_mpls:0x8847,set_mpls_label(10),output:2", "udp" },
        { "ip,actions=push_mpls:0x8847,output:2,set_mpls_ttl(5),output:3", "udp" },
        { "ip,actions=mod_dl_dst:02:00:00:00:00:99,push_mpls:0x8848,set_mpls_tc(1),push_mpls:0x8847,set_mpls_label(7),output:2", "udp" },
        { "ipv6,actions=push_mpls:0x8847,output:2", "udp6" },
        { "mpls,actions=set_mpls_label(99),set_mpls_tc(6),output:2", "mpls" },
        { "mpls,actions=dec_mpls_ttl,output:2", "mpls" },
        { "mpls,actions=push_mpls:0x8847,set_mpls_label(200),output:2", "mpls" },
        { "mpls,actions=pop_mpls:0x0800,output:2", "mpls" },
        { "mpls,actions=pop_mpls:0x8847,output:2", "mpls2" },
        { "mpls,actions=pop_mpls:0x0800,output:2", "mpls2" },
        { "ip,actions=push_mpls:0x8847,output:2,pop_mpls:0x0800,output:3", "udp" },
    };

    /// <summary>Flows, then the frame whose ofproto/trace megaflow (the fields bundle and multipath hash) we print as OVS does.</summary>
    public static TheoryData<string, string> Megaflows => new()
    {
        { "actions=bundle(eth_src,0,hrw,ofport,members:2,3,4)", "udp" },
        { "actions=bundle(symmetric_l4,0,hrw,ofport,members:2,3,4)", "udp" },
        { "actions=bundle(symmetric_l4,0,hrw,ofport,members:2,3,4)", "tagged" },
        { "actions=bundle(symmetric_l4,0,hrw,ofport,members:2,3,4)", "arp" },
        { "vlan_tci=0x0000/0x1fff,actions=output:2", "udp" },
        { "actions=bundle(symmetric_l3l4,0,hrw,ofport,members:2,3,4)", "udp" },
        { "actions=bundle(symmetric_l3l4+udp,0,hrw,ofport,members:2,3,4)", "udp" },
        { "actions=bundle(nw_src,0,hrw,ofport,members:2,3,4)", "udp" },
        { "actions=bundle(nw_dst,0,hrw,ofport,members:2,3)", "udp6" },
        { "actions=bundle(symmetric_l3,0,hrw,ofport,members:2,3)", "udp" },
        { "actions=bundle(nw_src,0,active_backup,ofport,members:2,3)", "udp" },
        { "actions=bundle(nw_src,0,hrw,ofport,members:3)", "udp" },
        { "actions=bundle_load(symmetric_l4,0,hrw,ofport,reg0[0..15],members:2,3),output:NXM_NX_REG0[0..15]", "udp" },
        { "actions=multipath(eth_src,0,modulo_n,3,0,reg0[0..1]),resubmit(,1)\n" + LinkTable, "udp" },
        { "actions=multipath(symmetric_l3l4+udp,0,hrw,3,0,reg0[0..1]),resubmit(,1)\n" + LinkTable, "udp" },
        { "actions=multipath(symmetric_l4,0,iter_hash,3,0,reg0[0..1]),resubmit(,1)\n" + LinkTable, "tagged" },
        { "actions=multipath(symmetric_l3,0,hash_threshold,3,0,reg0[0..1]),resubmit(,1)\n" + LinkTable, "arp" },
    };

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Megaflows))]
    public void Our_trace_shows_the_megaflow_ovs_shows_for_bundle_and_multipath(string flows, string frame)
        => AssertTraceLineIsOvs(flows, Frames(frame)[0], "Megaflow: ", p => p.Megaflow);

    /// <summary>Every hash's megaflow for one frame of each kind (<see cref="MixedFrames"/>), bundle's and multipath's alike.</summary>
    [JudgedTheory(nameof(OvsSwitchJudge))]
    [InlineData("eth_src")]
    [InlineData("symmetric_l4")]
    [InlineData("symmetric_l3l4")]
    [InlineData("symmetric_l3l4+udp")]
    [InlineData("nw_src")]
    [InlineData("nw_dst")]
    [InlineData("symmetric_l3")]
    public void Our_megaflow_of_every_kind_of_frame_is_ovs_for_the_hash(string fields)
    {
        foreach (string flows in new[] { $"actions=bundle({fields},0,hrw,ofport,members:2,3,4)", $"actions=multipath({fields},0,modulo_n,3,0,reg0[0..1]),resubmit(,1)\n{LinkTable}" })
        {
            using var ovs = StartOvs();
            var br = LoadInBoth(ovs, flows);
            using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Client);
            var wrong = new List<string>();
            foreach (byte[] f in MixedFrames().Take(14))
            {
                string theirs = TraceLine(ovs, f, "Megaflow: ");
                var trace = new Engine.Tracing.Trace();
                node.Process(1, f, null, 0, trace);
                ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12));
                if (fields.StartsWith("symmetric_l3l4", StringComparison.Ordinal) && etherType is not (EtherTypes.IPv4 or EtherTypes.IPv6 or EtherTypes.Vlan))
                {
                    // Deliberate: OVS hashes a frame that is not IP by its L2 (flow_hash_symmetric_l2) but masks none of
                    // it, so its megaflow would give every such frame the first one's choice; ours masks the MACs.
                    Assert.DoesNotContain("dl_src=", theirs, StringComparison.Ordinal);
                    Assert.Contains("dl_src=", trace.Passes[0].Megaflow, StringComparison.Ordinal);
                    continue;
                }
                // Deliberate: OVS prints the ICMP type and code it consulted for a hash as 0x8/0xff (tp_src's low byte
                // of 16 bits); our icmp_type is those 8 bits, and prints whole.
                theirs = theirs.Replace("icmp_type=0x8/0xff,icmp_code=0x0/0xff", "icmp_type=8,icmp_code=0", StringComparison.Ordinal);
                if (theirs != trace.Passes[0].Megaflow)
                    wrong.Add($"{Convert.ToHexString(f)}\n  OVS: {theirs}\n  ours: {trace.Passes[0].Megaflow}");
            }
            Assert.True(wrong.Count == 0, $"{flows}:\n" + string.Join("\n", wrong));
        }
    }

    private static string TraceLine(OvsSwitchJudge ovs, byte[] f, string label)
        => ovs.Appctl("ofproto/trace", ovs.Bridge, "in_port=1", Convert.ToHexString(f)).Split('\n')
            .Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..];

    [JudgedTheory(nameof(OvsSwitchJudge))]
    [MemberData(nameof(Traced))]
    public void Our_trace_shows_the_mpls_datapath_actions_ovs_shows(string flows, string frame)
        => AssertTraceLineIsOvs(flows, Frames(frame)[0], "Datapath actions: ", p => p.OvsDatapathActions);

    // ofproto/trace's line starting with label for f through flows, and ours (the first pass's, by what).
    private static void AssertTraceLineIsOvs(string flows, byte[] f, string label, Func<Engine.Tracing.TracePass, string?> what)
    {
        using var ovs = StartOvs();
        var br = LoadInBoth(ovs, flows);
        string theirs = TraceLine(ovs, f, label);
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Client);
        var trace = new Engine.Tracing.Trace();
        node.Process(1, f, null, 0, trace);
        string? ours = what(trace.Passes[0]);
        Assert.True(theirs == ours, $"OVS: {theirs}\nours: {ours}");
    }

    private static readonly MacAddress Client = MacAddress.Parse("02:00:00:00:00:01"), Server = MacAddress.Parse("02:00:00:00:00:02");

    internal static byte[][] Frames(string name)
    {
        var udp = PacketBuilder.Udp(Client, Server, Ipv4Address.Parse("10.10.0.1"), Ipv4Address.Parse("10.10.0.2"), 4000, 53, new byte[18], tos: 0xb8, ttl: 33);
        return name switch
        {
            "random" => RandomFrames(seed: 15, count: 24, ipv6: false),
            "random6" => RandomFrames(seed: 6, count: 16, ipv6: true),
            "udp" => [udp],
            "udp6" => [PacketBuilder.Udp6(Client, Server, Ipv6Address.Parse("fd00::1"), Ipv6Address.Parse("fd00::2"), 4000, 53, new byte[18])],
            "arp" => [PacketBuilder.Arp(1, Client, Ipv4Address.Parse("10.10.0.1"), default, Ipv4Address.Parse("10.10.0.2"), Client, MacAddress.Parse("ff:ff:ff:ff:ff:ff"))],
            "mpls" => [WithMpls(udp, EtherTypes.Mpls, Lse(16, 5, true, 20))],
            "mpls2" => [WithMpls(udp, EtherTypes.Mpls, Lse(30, 5, false, 20), Lse(16, 1, true, 7))],
            "mplsTtl1" => [WithMpls(udp, EtherTypes.Mpls, Lse(16, 0, true, 1))],
            "mpls3" => [WithMpls(udp, EtherTypes.Mpls, Lse(30, 5, false, 20), Lse(31, 2, false, 8), Lse(16, 1, true, 7))],
            "mpls4" => [WithMpls(udp, EtherTypes.Mpls, Lse(30, 5, false, 20), Lse(31, 2, false, 8), Lse(32, 2, false, 8), Lse(16, 1, true, 7))],
            "mplsTtl2" => [WithMpls(udp, EtherTypes.Mpls, Lse(16, 0, true, 2))],
            "mplsm" => [WithMpls(udp, EtherTypes.MplsMulticast, Lse(16, 0, true, 9))],
            "mpls6" => [WithMpls(Frames("udp6")[0], EtherTypes.Mpls, Lse(2, 0, true, 9))],
            "tagged" => [PacketBuilder.WithVlan(udp, 5), PacketBuilder.WithVlan(Frames("udp6")[0], (3 << 13) | 7)],
            "mixed" => MixedFrames(),
            _ => throw new ArgumentException($"no frames {name}", nameof(name)),
        };
    }

    // TCP and UDP between random MACs, addresses and ports, half of them the reverse of an earlier one (so the
    // symmetric hashes are seen to agree), and a repeat of each (the second of a flow takes the caches).
    private static byte[][] RandomFrames(int seed, int count, bool ipv6)
    {
        var rng = new Random(seed);
        var frames = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var smac = RandomMac(rng);
            var dmac = RandomMac(rng);
            ushort sport = (ushort)rng.Next(1, 65536), dport = (ushort)rng.Next(1, 65536);
            bool tcp = rng.Next(2) == 0;
            byte[] f;
            if (ipv6)
            {
                var sip = Ipv6Address.Parse($"fd00::{rng.Next(1, 0xffff):x}:{rng.Next(1, 0xffff):x}");
                var dip = Ipv6Address.Parse($"fd00:1::{rng.Next(1, 0xffff):x}");
                f = tcp ? PacketBuilder.Tcp6(smac, dmac, sip, dip, sport, dport, TcpFlags.Syn) : PacketBuilder.Udp6(smac, dmac, sip, dip, sport, dport, new byte[8]);
                frames.Add(f);
                if (i % 2 == 0)
                    frames.Add(tcp ? PacketBuilder.Tcp6(dmac, smac, dip, sip, dport, sport, TcpFlags.Syn) : PacketBuilder.Udp6(dmac, smac, dip, sip, dport, sport, new byte[8]));
            }
            else
            {
                var sip = new Ipv4Address((uint)rng.Next(0x0a000001, 0x0affffff));
                var dip = new Ipv4Address((uint)rng.Next(0x0a000001, 0x0affffff));
                f = tcp ? PacketBuilder.Tcp(smac, dmac, sip, dip, sport, dport, TcpFlags.Syn) : PacketBuilder.Udp(smac, dmac, sip, dip, sport, dport, new byte[8]);
                frames.Add(f);
                if (i % 2 == 0)
                    frames.Add(tcp ? PacketBuilder.Tcp(dmac, smac, dip, sip, dport, sport, TcpFlags.Syn) : PacketBuilder.Udp(dmac, smac, dip, sip, dport, sport, new byte[8]));
            }
            frames.Add(f);
        }
        return [.. frames];
    }

    // One of each kind a hash treats apart, each twice: tagged, ARP, ICMP, IPv4 and IPv6 TCP/UDP both ways, a first
    // and a later fragment, SCTP, and an LLDP frame (neither IP nor ARP); then random flows.
    private static byte[][] MixedFrames()
    {
        MacAddress a = MacAddress.Parse("02:aa:00:00:00:01"), b = MacAddress.Parse("02:bb:00:00:00:02");
        Ipv4Address x = Ipv4Address.Parse("10.1.2.3"), y = Ipv4Address.Parse("10.9.8.7");
        Ipv6Address x6 = Ipv6Address.Parse("fd00::a"), y6 = Ipv6Address.Parse("fd00:9::b");
        var udp = PacketBuilder.Udp(a, b, x, y, 1234, 80, new byte[16]);
        var lldp = new byte[60];
        a.Write(lldp.AsSpan(6));
        MacAddress.Parse("01:80:c2:00:00:0e").Write(lldp);
        BinaryPrimitives.WriteUInt16BigEndian(lldp.AsSpan(12), 0x88cc);
        byte[][] kinds =
        [
            udp,
            PacketBuilder.Udp(b, a, y, x, 80, 1234, new byte[16]),
            PacketBuilder.Tcp(a, b, x, y, 1234, 80, TcpFlags.Syn),
            PacketBuilder.Tcp(b, a, y, x, 80, 1234, TcpFlags.Syn | TcpFlags.Ack),
            PacketBuilder.WithVlan(udp, 7),
            PacketBuilder.WithVlan(udp, (5 << 13) | 9),
            PacketBuilder.Arp(1, a, x, default, y, a, MacAddress.Parse("ff:ff:ff:ff:ff:ff")),
            PacketBuilder.IcmpEcho(a, b, x, y, reply: false, 7, 1),
            PacketBuilder.Udp6(a, b, x6, y6, 1234, 80, new byte[16]),
            PacketBuilder.Tcp6(b, a, y6, x6, 80, 1234, TcpFlags.Syn),
            PacketBuilder.Ipv4(a, b, x, y, IpProtocols.Udp, PacketBuilder.UdpDatagram(1234, 80, new byte[16]), flagsAndFragmentOffset: 0x2000),
            PacketBuilder.Ipv4(a, b, x, y, IpProtocols.Udp, new byte[24], flagsAndFragmentOffset: 0x0003),
            PacketBuilder.Ipv4(a, b, x, y, 132, new byte[24]),
            lldp,
        ];
        return [.. kinds, .. kinds, .. RandomFrames(seed: 99, count: 8, ipv6: false), .. RandomFrames(seed: 98, count: 6, ipv6: true)];
    }

    private static MacAddress RandomMac(Random rng)
    {
        Span<byte> b = stackalloc byte[6];
        rng.NextBytes(b);
        b[0] = (byte)((b[0] & 0xfe) | 0x02);
        return MacAddress.Read(b);
    }

    // One MPLS label stack entry: label (20 bits), tc (3), bottom of stack, ttl.
    private static uint Lse(uint label, uint tc, bool bos, byte ttl) => (label << 12) | (tc << 9) | (bos ? 0x100u : 0) | ttl;

    // The frame with its EtherType replaced by etherType and the label stack entries inserted after the Ethernet header.
    private static byte[] WithMpls(byte[] frame, ushort etherType, params uint[] stack)
    {
        var f = new byte[frame.Length + 4 * stack.Length];
        frame.AsSpan(0, 12).CopyTo(f);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), etherType);
        for (int i = 0; i < stack.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(14 + 4 * i), stack[i]);
        frame.AsSpan(14).CopyTo(f.AsSpan(14 + 4 * stack.Length));
        return f;
    }
}
