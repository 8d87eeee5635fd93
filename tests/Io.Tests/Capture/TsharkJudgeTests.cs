using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Datapath.Io.Capture;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// tshark, an independent reader, decodes the files our writers produce: every frame's bytes,
/// lengths, timestamp and interface name must be what we wrote.
/// </summary>
public class TsharkJudgeTests
{
    private sealed record TsharkFrame(string RawHex, int Length, int CapturedLength, string TimeEpoch, string? InterfaceName);

    public static TheoryData<bool, PcapTimestampResolution> Variants => PcapRoundtripTests.Variants;

    [Theory]
    [MemberData(nameof(Variants))]
    public void Tshark_reads_our_pcap_files_identically(bool bigEndian, PcapTimestampResolution resolution)
    {
        var frames = TestCaptures.Frames(20, seed: 11);
        byte[] file = TestCaptures.WritePcap(frames, resolution, bigEndian, snapLength: 1400);
        var seen = RunTshark(file, ".pcap");

        Assert.Equal(frames.Count, seen.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            byte[] expected = frames[i].Data.Length > 1400 ? frames[i].Data[..1400] : frames[i].Data;
            Assert.Equal(Convert.ToHexStringLower(expected), seen[i].RawHex);
            Assert.Equal(expected.Length, seen[i].CapturedLength);
            Assert.Equal(frames[i].OriginalLength, seen[i].Length);
            Assert.Equal(EpochText(frames[i].TimestampNanoseconds, resolution), seen[i].TimeEpoch);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Tshark_reads_our_pcapng_files_identically(bool bigEndian, PcapTimestampResolution resolution)
    {
        var frames = TestCaptures.Frames(20, seed: 12, interfaces: 2);
        string?[] names = ["antrea-gw0", "ens160"];
        byte[] file = TestCaptures.WritePcapng(frames, names, resolution, bigEndian);
        var seen = RunTshark(file, ".pcapng");

        Assert.Equal(frames.Count, seen.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(Convert.ToHexStringLower(frames[i].Data), seen[i].RawHex);
            Assert.Equal(frames[i].OriginalLength, seen[i].Length);
            Assert.Equal(EpochText(frames[i].TimestampNanoseconds, resolution), seen[i].TimeEpoch);
            Assert.Equal(names[frames[i].InterfaceIndex], seen[i].InterfaceName);
        }
    }

    private static string EpochText(Int128 ns, PcapTimestampResolution resolution)
    {
        if (resolution == PcapTimestampResolution.Microsecond)
            ns = ns / 1000 * 1000;
        return string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000_000}.{ns % 1_000_000_000:D9}");
    }

    private static List<TsharkFrame> RunTshark(byte[] file, string extension)
    {
        string tshark = ExternalTools.Require("tshark", "tshark");
        string path = Path.Combine(Path.GetTempPath(), $"datapath-io-tshark-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, file);
        try
        {
            var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-r", path, "-T", "json", "-x" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string json = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"tshark failed ({p.ExitCode}): {stderr.Result}");
            using var doc = JsonDocument.Parse(json);
            var list = new List<TsharkFrame>();
            foreach (var pkt in doc.RootElement.EnumerateArray())
            {
                var layers = pkt.GetProperty("_source").GetProperty("layers");
                var frame = layers.GetProperty("frame");
                string? itf = frame.TryGetProperty("frame.interface_id_tree", out var tree) && tree.TryGetProperty("frame.interface_name", out var n)
                    ? n.GetString()
                    : null;
                list.Add(new TsharkFrame(
                    layers.GetProperty("frame_raw")[0].GetString()!,
                    int.Parse(frame.GetProperty("frame.len").GetString()!, CultureInfo.InvariantCulture),
                    int.Parse(frame.GetProperty("frame.cap_len").GetString()!, CultureInfo.InvariantCulture),
                    frame.GetProperty("frame.time_epoch").GetString()!,
                    itf));
            }
            return list;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
