using System.Text.Json;
using Datapath.Io.Capture;

namespace Datapath.Tests.Shared;

/// <summary>
/// <see cref="PacketJudge"/> over whatever frames our commands emit: every frame of the pcap and pcapng files
/// they write (replay --out, demo --out, the lab's live captures) and every hex "frame" of their JSON (trace
/// --json, demo --json). A failure names the file and the frame's index (from 0) or the JSON path.
/// </summary>
internal static class CaptureJudge
{
    /// <summary>Judges every frame of every *.pcap and *.pcapng under <paramref name="directory"/>; returns how many.</summary>
    public static int AssertCaptures(string directory)
        => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Sum(f => AssertCapture(f).Count);

    /// <summary>
    /// Judges every frame of the capture file <paramref name="path"/>; returns their header summaries, in file order.
    /// <paramref name="outerChecksumOffloaded"/>: see <see cref="PacketJudge.Judge"/>.
    /// </summary>
    public static IReadOnlyList<string> AssertCapture(string path, bool outerChecksumOffloaded = false)
    {
        using var reader = PacketFileReader.Open(path);
        var summaries = new List<string>();
        while (reader.TryReadNext(out var frame))
        {
            string on = frame.InterfaceName is null ? "" : $" (interface {frame.InterfaceName})";
            summaries.Add(PacketJudge.AssertValid(frame.Span, $"{path} frame {summaries.Count}{on}", outerChecksumOffloaded));
        }
        return summaries;
    }

    /// <summary>Judges every "frame" property holding hex in <paramref name="json"/> (none when it is not JSON); returns how many.</summary>
    public static int AssertJsonFrames(string json, string context)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return 0;
        }
        using (doc)
            return JudgeElement(doc.RootElement, "$", context);
    }

    private static int JudgeElement(JsonElement element, string path, string context)
    {
        int judged = 0;
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                string at = $"{path}.{property.Name}";
                if (property.Name == "frame" && property.Value.ValueKind == JsonValueKind.String)
                {
                    PacketJudge.AssertValid(Convert.FromHexString(property.Value.GetString()!), $"{context} {at}");
                    judged++;
                }
                else
                {
                    judged += JudgeElement(property.Value, at, context);
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray())
                judged += JudgeElement(item, $"{path}[{i++}]", context);
        }
        return judged;
    }
}
