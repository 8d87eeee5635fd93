using System.Diagnostics;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// Captures come through pipes that cannot seek (`decode /dev/stdin`, `&lt;(cat f.pcap)`): a FIFO
/// made with mkfifo and a process's stdout are read like the file, and a cut file still names the
/// record that is cut short.
/// </summary>
public sealed class PipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-io-pipe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Formats => ["pcap", "pcapng"];

    private static byte[] Capture(string format)
    {
        var frames = TestCaptures.Frames(40, seed: 21, interfaces: 2);
        return format == "pcap"
            ? TestCaptures.WritePcap(frames, PcapTimestampResolution.Nanosecond)
            : TestCaptures.WritePcapng(frames, ["antrea-gw0", "ens160"]);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_fifo_is_read_like_the_file(string format)
    {
        byte[] file = Capture(format);
        string fifo = Path.Combine(_dir, "in." + format);
        ExternalTools.Run("/usr/bin/mkfifo", fifo);
        var writer = Task.Run(() =>
        {
            using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            for (int i = 0; i < file.Length; i += 1000)
                w.Write(file, i, Math.Min(1000, file.Length - i)); // in pieces, as a pipe delivers
        });

        List<TestCaptures.ReadFrame> read;
        using (var r = PacketFileReader.Open(fifo))
            read = TestCaptures.ReadAll(r);
        await writer;

        Assert.Equal(TestCaptures.Describe(TestCaptures.ReadAll(file)), TestCaptures.Describe(read));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_processes_stdout_cut_short_names_the_record_cut_short(string format)
    {
        byte[] whole = Capture(format);
        var frames = TestCaptures.ReadAll(whole);
        long lastStart = frames[^1].FileOffset;
        string path = Path.Combine(_dir, "cut." + format);
        File.WriteAllBytes(path, whole[..(int)(lastStart + 20)]);

        var psi = new ProcessStartInfo("cat") { RedirectStandardOutput = true };
        psi.ArgumentList.Add(path);
        using var cat = Process.Start(psi)!;
        var read = new List<TestCaptures.ReadFrame>();
        using var r = PacketFileReader.Open(cat.StandardOutput.BaseStream, "<(cat)");
        var e = Assert.Throws<InputException>(() =>
        {
            while (r.TryReadNext(out var f))
                read.Add(TestCaptures.Copy(f));
        });
        cat.WaitForExit();

        Assert.False(cat.StandardOutput.BaseStream.CanSeek);
        Assert.Equal(TestCaptures.Describe(frames[..^1]), TestCaptures.Describe(read));
        Assert.Equal(lastStart, e.Offset);
        Assert.Equal("<(cat)", e.File);
    }
}
