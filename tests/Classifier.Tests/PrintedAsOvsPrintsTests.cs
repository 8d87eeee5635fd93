using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// What we print for a match is what Open vSwitch 3.1 prints for it, so a dump loads back into OVS and
/// into us with the same meaning. The judge is <c>ovs-ofctl parse-flow FLOW</c> (openvswitch-common),
/// which parses and encodes a flow as add-flow does, without a switch, and prints it back with
/// match_format ("... ADD MATCH actions=drop").
/// </summary>
public sealed class PrintedAsOvsPrintsTests
{
    public static TheoryData<string, string> Cases => new()
    {
        // OVS 3.1 has no "igmp" shorthand: its parser refuses one ("field igmp missing value").
        { "ip,nw_proto=2,actions=drop", "ip,nw_proto=2 actions=drop" },
        { "igmp,actions=drop", "ip,nw_proto=2 actions=drop" },
        { "ip,nw_proto=2,nw_src=10.0.0.1,actions=drop", "ip,nw_src=10.0.0.1,nw_proto=2 actions=drop" },
        // A bare tun_metadataN (ovs-ofctl's 0/0) matches the option's presence: not every packet.
        { "tun_metadata0,actions=drop", "tun_metadata0 actions=drop" },
        { "tun_metadata0=0,actions=drop", "tun_metadata0=0 actions=drop" },
        { "tun_metadata1=0x5,actions=drop", "tun_metadata1=0x5 actions=drop" },
        { "tun_metadata0,tun_metadata3=0x10,in_port=1,actions=drop", "tun_metadata0,tun_metadata3=0x10,in_port=1 actions=drop" },
        // The 802.1Q tag as match_format prints it: dl_vlan/dl_vlan_pcp when the tag and a whole VID or PCP are matched.
        { "dl_vlan=5,actions=drop", "dl_vlan=5 actions=drop" },
        { "vlan_vid=0x1005,actions=drop", "dl_vlan=5 actions=drop" },
        { "vlan_tci=0x1005/0x1fff,actions=drop", "dl_vlan=5 actions=drop" },
        { "vlan_pcp=3,actions=drop", "dl_vlan_pcp=3 actions=drop" },
        { "dl_vlan=5,dl_vlan_pcp=3,actions=drop", "dl_vlan=5,dl_vlan_pcp=3 actions=drop" },
        { "vlan_tci=0x3005,actions=drop", "dl_vlan=5,dl_vlan_pcp=1 actions=drop" },
        { "dl_vlan=0xffff,actions=drop", "vlan_tci=0x0000 actions=drop" },
        { "vlan_tci=0x3005/0xefff,actions=drop", "vlan_tci=0x2005/0xefff actions=drop" },
        { "vlan_vid=0x1000/0x1000,actions=drop", "vlan_tci=0x1000/0x1000 actions=drop" },
        // ICMPv6's type and code are icmp_type/icmp_code after icmp6, read in either order.
        { "icmp6,icmp_type=135,actions=drop", "icmp6,icmp_type=135 actions=drop" },
        { "icmp_type=136,icmp_code=0,icmp6,actions=drop", "icmp6,icmp_type=136,icmp_code=0 actions=drop" },
        { "icmp6,icmpv6_type=135,nd_target=fe80::1,actions=drop", "icmp6,icmp_type=135,nd_target=fe80::1 actions=drop" },
        { "icmp6,icmp_type=136,nd_target=fe80::1/64,actions=drop", "icmp6,icmp_type=136,nd_target=fe80::/64 actions=drop" },
        { "icmp6,icmp_type=135,nd_sll=00:11:22:33:44:55,actions=drop", "icmp6,icmp_type=135,nd_sll=00:11:22:33:44:55 actions=drop" },
        { "tcp6,ipv6_src=2001:db8::/32,tp_dst=80,actions=drop", "tcp6,ipv6_src=2001:db8::/32,tp_dst=80 actions=drop" },
        // Subfield matches merge into the field's value and mask (parse_subfield).
        { "reg0[0..3]=0x5,actions=drop", "reg0=0x5/0xf actions=drop" },
        { "NXM_NX_REG0[4]=1,actions=drop", "reg0=0x10/0x10 actions=drop" },
        { "reg0[0..3]=0x5,reg0[8..15]=0xab,actions=drop", "reg0=0xab05/0xff0f actions=drop" },
        { "reg0=0x10/0xf0,reg0[0..3]=5,actions=drop", "reg0=0x15/0xff actions=drop" },
        { "reg0[]=7,actions=drop", "reg0=0x7 actions=drop" },
        { "tcp,tp_dst[0..7]=80,actions=drop", "tcp,tp_dst=0x50/0xff actions=drop" },
        { "ip,nw_src[24..31]=10,actions=drop", "ip,nw_src=10.0.0.0/8 actions=drop" },
        { "metadata[0..7]=1,actions=drop", "metadata=0x1/0xff actions=drop" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void We_print_what_we_parse_as_the_expected_text(string flow, string printed)
        => Assert.Equal(printed, FlowParser.Parse(flow, null).ToRule().ToString());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ovs_3_1_prints_the_same_text_for_what_we_print(string flow, string printed)
    {
        _ = flow;
        string ofctl = ExternalTools.Require("ovs-ofctl", "openvswitch-common");
        string output = ExternalTools.Run(ofctl, "parse-flow", printed);
        string last = output.Trim().Split('\n')[^1];
        Assert.Equal(printed, last[(last.IndexOf(": ADD ", StringComparison.Ordinal) + 6)..]);
    }

    [Theory]
    [InlineData("reg0[0..3]=0x5/0x3,actions=drop", "1:12: reg0[0..3]: cannot parse integer value: 0x5/0x3")]
    [InlineData("reg0[0..3]=0x15,actions=drop", "1:12: reg0[0..3]: value 0x15 does not fit into 4 bits")]
    [InlineData("reg0[4..2]=1,actions=drop", "1:1: 'reg0[4..2]': bit range 4..2 is backward")]
    [InlineData("reg0[30..33]=1,actions=drop", "1:1: 'reg0[30..33]': bits 30..33 are outside reg0, which has 32 bits")]
    public void A_bad_subfield_match_is_refused_with_ovs_reason(string flow, string where)
    {
        var e = Assert.Throws<InputException>(() => FlowParser.Parse(flow, null, "f.flows"));
        Assert.Contains(where, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bare_tun_metadata_match_requires_the_option_to_be_present()
    {
        var classifier = new FlowClassifier();
        FlowRule rule = FlowParser.Parse("tun_metadata0,actions=drop", null).ToRule();
        classifier.Insert(rule);
        FlowKey absent = default;
        FlowKey present = default;
        present.TunMetadataPresent = 1;
        Assert.Null(classifier.Lookup(in absent));
        Assert.Same(rule, classifier.Lookup(in present));
    }
}
