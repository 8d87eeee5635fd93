using System.Text.Json;
using Datapath.Cli.Commands;
using Datapath.Io.Capture;

namespace Datapath.Cli.Tests.Commands;

/// <summary>`datapath decode PATH` for the paths that are not plain capture files: a directory, a missing file, a FIFO, a time before 1970.</summary>
public sealed class DecodeInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-decode-in-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Decode(string path, bool json = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = DecodeCommand.Run(path, json, absoluteSequenceNumbers: false, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void A_directory_is_bad_input_exit_1_not_permission_denied()
    {
        var (code, output, err) = Decode(_dir);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"error: {_dir}: is a directory, not a pcap or pcapng file\n", err.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_file_is_bad_input_exit_1()
    {
        string path = Path.Combine(_dir, "none.pcap");
        var (code, _, err) = Decode(path);
        Assert.Equal(1, code);
        Assert.Equal($"error: {path}: no such file\n", err.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fifo_is_decoded_as_the_file_is()
    {
        string file = DecodeFrames.WritePcap(DecodeFrames.Mixed());
        try
        {
            string fifo = Path.Combine(_dir, "pipe");
            ExternalTools.Run("/usr/bin/mkfifo", fifo);
            byte[] bytes = await File.ReadAllBytesAsync(file);
            var writer = Task.Run(async () =>
            {
                await using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                await w.WriteAsync(bytes);
            });
            var (code, output, err) = Decode(fifo);
            await writer;

            Assert.True(code == 0, err);
            Assert.Equal(Decode(file).Out, output);
            Assert.Equal(DecodeFrames.Mixed().Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_frame_before_1970_and_one_past_Int64_nanoseconds_print_their_times()
    {
        string path = Path.Combine(_dir, "odd-times.pcapng");
        using (var w = PcapngWriter.Create(path))
        {
            w.AddInterface("eth0", timestampOffsetSeconds: -1);
            w.AddInterface("eth1", timestampResolution: 0);
            w.WriteFrame(0, DecodeFrames.Mixed()[0], -CaptureTime.NanosecondsPerSecond / 2);
            w.WriteFrame(1, DecodeFrames.Mixed()[0], (Int128)(1UL << 40) * CaptureTime.NanosecondsPerSecond);
        }
        var (code, text, err) = Decode(path);
        Assert.True(code == 0, err);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("23:59:59.500000 ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("00:36:16.000000 ", lines[1], StringComparison.Ordinal); // 2^40 s is 36812-02-20T00:36:16Z

        var (jcode, json, jerr) = Decode(path, json: true);
        Assert.True(jcode == 0, jerr);
        var objects = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("1969-12-31T23:59:59.500000000Z", objects[0].GetProperty("time").GetString());
        Assert.Equal("-500000000", objects[0].GetProperty("time_ns").GetRawText());
        Assert.Equal("+36812-02-20T00:36:16.000000000Z", objects[1].GetProperty("time").GetString());
        Assert.Equal("1099511627776000000000", objects[1].GetProperty("time_ns").GetRawText());
    }
}
