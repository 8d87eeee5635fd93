using Datapath.Packets;

namespace Datapath.Engine.Tests;

// Meters as OVS 3.1 reads them (ovs-ofctl's checks, quoted from its errors) and runs them (dpif-netdev's
// dp_netdev_run_meter); tests/Antrea.Tests/LearnAndMetersJudgedByOvsTests compares band counts with OVS itself.
public sealed class MeterTests
{
    private static readonly MacAddress Mac = MacAddress.Parse("02:00:00:00:00:0a");

    [Theory]
    [InlineData("meter=0,kbps,bands=type=drop,rate=1", "invalid value for meter")]
    [InlineData("meter=5,kbps", "must specify bands")]
    [InlineData("meter=6,kbps,pktps,bands=type=drop,rate=1", "OFPMMFC_BAD_FLAGS")]
    [InlineData("meter=7,bands=type=drop,rate=1", "meter must specify either 'kbps' or 'pktps'")]
    [InlineData("meter=8,kbps,bands=type=drop,rate=0", "band must have 'rate'")]
    [InlineData("meter=9,kbps,bands=type=drop,rate=10,burst_size=5", "band may have 'burst_size' only when 'burst' flag is set")]
    [InlineData("meter=10,kbps,burst,bands=type=drop,rate=10", "band must have 'burst_size' when 'burst' flag is set")]
    [InlineData("meter=11,kbps,bands=type=dscp_remark,rate=1,prec_level=1", "OFPMMFC_BAD_BAND")]
    [InlineData("meter=12,kbps,colour=red,bands=type=drop,rate=1", "unknown keyword 'colour'")]
    public void Refuses_what_ovs_refuses(string text, string why)
    {
        var e = Assert.Throws<InputException>(() => MeterParser.Parse(text, "m.meters", 3));
        Assert.Equal("m.meters", e.File);
        Assert.Equal(3, e.Line);
        Assert.Contains(why, e.What, StringComparison.Ordinal);
    }

    [Fact]
    public void Prints_as_dump_meters_prints_it()
    {
        var m = MeterParser.Parse("meter=256 pktps burst stats bands=type=drop rate=100 burst_size=200");
        Assert.Equal(["meter=256 pktps burst stats bands=", "type=drop rate=100 burst_size=200"], m.Format());
    }

    [Fact]
    public void A_pktps_band_passes_its_burst_then_its_rate()
    {
        // 10 packets/s, burst 5: a full bucket of 5000 thousandths; each packet costs 1000; 100 ms adds 1000.
        var m = MeterParser.Parse("meter=1,pktps,burst,bands=type=drop,rate=10,burst_size=5");
        var passed = Enumerable.Range(0, 8).Select(_ => m.Run(100, 1000)).ToList();
        Assert.Equal([true, true, true, true, true, false, false, false], passed);
        Assert.True(m.Run(100, 1100));  // 100 ms: one more packet's worth
        Assert.False(m.Run(100, 1150)); // 50 ms: half of one
        Assert.True(m.Run(100, 1200));  // the other half: 1000 again
        Assert.Equal(11, m.PacketInCount);
        Assert.Equal(4, m.Bands[0].PacketCount);
        Assert.Equal(400, m.Bands[0].ByteCount);
    }

    [Fact]
    public void A_kbps_band_counts_bits_and_the_highest_exceeded_rate_takes_the_drop()
    {
        // 64 kbit/s with burst 8 kbit (8000 bits) and 128 kbit/s with burst 16 kbit: 200-byte frames are 1600 bits.
        var m = MeterParser.Parse("meter=2,kbps,burst,bands=type=drop,rate=64,burst_size=8,type=drop,rate=128,burst_size=16");
        int passed = Enumerable.Range(0, 12).Count(_ => m.Run(200, 5000));
        Assert.Equal(5, passed); // 8000 / 1600: the smaller band is exceeded from the sixth frame on
        Assert.Equal(5, m.Bands[0].PacketCount); // frames 6..10: only the 64 kbit/s band is exceeded
        Assert.Equal(2, m.Bands[1].PacketCount); // frames 11, 12 exceed both: the higher rate counts them
        int later = Enumerable.Range(0, 12).Count(_ => m.Run(200, 5100)); // 100 ms: +6400 bits on band 0, +12800 on band 1
        Assert.Equal(4, later);
    }

    [Fact]
    public void A_frame_over_the_rate_is_a_meter_drop_and_nothing_after_the_meter_runs()
    {
        var br = new Bridge();
        br.AddPort(1, "p1", Mac, PortKind.Pod);
        br.AddPort(2, "p2", Mac, PortKind.Pod);
        br.AddMeter("meter=256,pktps,burst,stats,bands=type=drop,rate=1,burst_size=2");
        using (var r = new StringReader("priority=10 actions=meter:256,output:2"))
            br.LoadFlows(r, "t.flows");
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), Mac);
        var frame = PacketBuilder.Udp(Mac, Mac, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1, 2);
        var verdicts = Enumerable.Range(0, 4).Select(_ => node.Process(1, frame, null, 500)).ToList();
        Assert.Equal([1, 1, 0, 0], verdicts.Select(v => v.Outputs));
        Assert.Equal((DropReason?)DropReason.Meter, verdicts[3].DropReason);
        Assert.Equal(2, br.Drops.Get(DropReason.Meter));
        Assert.Equal("meter", DropReasonNames.Name(DropReason.Meter));
        Assert.Equal(2, br.Ports.Single(p => p.OfPort == 2).Counters.TxPackets);
        Assert.Equal(["meter:256 flow_count:1 packet_in_count:4 byte_in_count:" + 4 * frame.Length + " duration:0.000s bands:", "0: packet_count:2 byte_count:" + 2 * frame.Length],
            br.DumpMeterStats(256, new Classifier.FlowStatsClock(500, 500)));
    }

    [Fact]
    public void A_flow_needs_its_meter_first_and_deleting_the_meter_deletes_its_flows()
    {
        var br = new Bridge();
        br.AddPort(1, "p1", Mac, PortKind.Pod);
        var missing = Assert.Throws<InputException>(() => br.AddFlow("priority=5,actions=meter:7,output:1", "t.flows", 4));
        Assert.Contains("OFPMMFC_INVALID_METER", missing.What, StringComparison.Ordinal);
        Assert.Equal(4, missing.Line);
        br.AddMeter("meter=7,kbps,bands=type=drop,rate=1000");
        var order = Assert.Throws<InputException>(() => br.AddFlow("priority=5,actions=output:1,meter:7"));
        Assert.Contains("meter must appear before apply_actions", order.What, StringComparison.Ordinal);
        br.AddFlow("priority=5,actions=meter:7,output:1");
        br.AddFlow("priority=6,actions=output:1");
        Assert.Equal("priority=5 actions=meter:7,output:1", br.DumpFlows(withStats: false, names: Classifier.NamesShown.None).Single(l => l.Contains("meter", StringComparison.Ordinal)));
        Assert.Contains("OFPMMFC_METER_EXISTS", Assert.Throws<InputException>(() => br.AddMeter("meter=7,kbps,bands=type=drop,rate=1")).What, StringComparison.Ordinal);
        Assert.Contains("OFPMMFC_UNKNOWN_METER", Assert.Throws<InputException>(() => br.ModifyMeter("meter=9,kbps,bands=type=drop,rate=1")).What, StringComparison.Ordinal);
        Assert.Equal(1, br.DeleteMeters(null));
        Assert.Equal(["priority=6 actions=output:1"], br.DumpFlows(withStats: false, names: Classifier.NamesShown.None));
        Assert.Empty(br.DumpMeters());
    }
}
