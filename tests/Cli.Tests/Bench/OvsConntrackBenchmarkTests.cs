using Datapath.Cli.Bench;

namespace Datapath.Cli.Tests.Bench;

/// <summary>`datapath bench conntrack --ovstest` against OVS 3.1's `ovstest test-conntrack benchmark`: its packets, its line. No timing is asserted.</summary>
public sealed class OvsConntrackBenchmarkTests
{
    [Fact]
    public void The_batch_is_test_conntrack_c_s_frame_with_the_thread_s_source_port()
    {
        byte[][] frames = OvsConntrackBenchmark.PreparePackets(3, change: true, tid: 5);
        // 10.1.1.1:(1 + tid) -> 10.1.1.2:(2 + i), UDP, ports patched without touching a checksum.
        string template = OvsConntrackBenchmark.FrameHex.ToLowerInvariant();
        for (int i = 0; i < 3; i++)
        {
            string hex = Convert.ToHexStringLower(frames[i]);
            Assert.Equal(template[..68], hex[..68]);
            Assert.Equal($"0006{2 + i:x4}", hex[68..76]);
            Assert.Equal(template[76..], hex[76..]);
        }
        byte[][] same = OvsConntrackBenchmark.PreparePackets(2, change: false, tid: 0);
        Assert.Equal(OvsConntrackBenchmark.FrameHex.ToLowerInvariant(), Convert.ToHexStringLower(same[0]));
        Assert.Equal(same[0], same[1]);
    }

    [Theory]
    [InlineData(1, 1000, 32, false, 1)]
    [InlineData(2, 1000, 32, false, 2)]
    [InlineData(1, 1000, 32, true, 32)]
    [InlineData(2, 100, 7, true, 14)]
    public void Commits_one_connection_per_distinct_packet(int threads, long packets, int batch, bool change, int connections)
    {
        var r = OvsConntrackBenchmark.Run(new(threads, packets, batch, change));
        Assert.Equal(connections, r.Connections);
    }

    [Fact]
    public void The_warm_up_leaves_the_timed_tracker_fresh()
        => Assert.Equal(32, OvsConntrackBenchmark.Run(new(1, 1000, 32, true), warmUp: true).Connections);

    [Fact]
    public void Rounds_the_packets_up_to_whole_batches_as_OVS_s_loop_does()
        => Assert.Equal(1024, OvsConntrackBenchmark.Run(new(1, 1000, 32, false)).PacketsPerThread);

    [Theory]
    [InlineData("1 1000000 32")]
    [InlineData("1 1000000 32 1")]
    public void Prints_the_line_OVS_prints(string args)
    {
        var output = new StringWriter();
        string[] n = args.Split(' ');
        OvsConntrackBenchmark.Print(output, new(int.Parse(n[0]), long.Parse(n[1]), int.Parse(n[2]), n.Length > 3 && n[3] != "0"), warmUp: false);
        Assert.Equal(OvsTestRecording.Shape(OvsTestRecording.Read("test-conntrack", args)), OvsTestRecording.Shape(output.ToString()));
    }

    [Theory]
    [InlineData(0, 1, 1, "N_THREADS: n_threads must be at least one")]
    [InlineData(1, 1, 0, "BATCH: batch_size must be between 1 and NETDEV_MAX_BURST(32)")]
    [InlineData(1, 1, 33, "BATCH: batch_size must be between 1 and NETDEV_MAX_BURST(32)")]
    public void Refuses_what_OVS_refuses_with_its_words(int threads, long packets, int batch, string error)
        => Assert.Equal(error, OvsConntrackBenchmark.Validate(new(threads, packets, batch, false)));

    [OvsTestFact]
    public void The_real_ovstest_prints_the_same_line()
    {
        string output = ExternalTools.Run(OvsTestFactAttribute.Path!, "test-conntrack", "benchmark", "1", "10000", "32");
        var ours = new StringWriter();
        OvsConntrackBenchmark.Print(ours, new(1, 10000, 32, false), warmUp: false);
        Assert.Equal(OvsTestRecording.Shape(output), OvsTestRecording.Shape(ours.ToString()));
    }
}
