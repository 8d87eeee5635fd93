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
