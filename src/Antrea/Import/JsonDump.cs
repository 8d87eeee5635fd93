using System.Text;
using System.Text.Json;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// An <c>ip -j</c> dump: a JSON array of objects, each with the line and column it starts at, so that a wrong field
/// is an error at its object's FILE:LINE:COL; JSON that does not parse is one at the reader's position.
/// </summary>
public static class JsonDump
{
    public static List<(JsonElement Item, int Line, int Column)> Items(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        byte[] bytes = Encoding.UTF8.GetBytes(file.Text);
        var starts = new List<long>();
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = false });
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == 1)
                    starts.Add(reader.TokenStartIndex);
            }
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new InputException(file.Path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, $"not JSON as ip -j prints it: {FirstSentence(e.Message)}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new InputException(file.Path, 1, 1, "an ip -j dump is a JSON array of objects");
            var items = new List<(JsonElement, int, int)>();
            int i = 0;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                var (line, col) = i < starts.Count ? Position(bytes, starts[i]) : (1, 1);
                if (item.ValueKind != JsonValueKind.Object)
                    throw new InputException(file.Path, line, col, "an ip -j dump is a JSON array of objects");
                items.Add((item.Clone(), line, col));
                i++;
            }
            return items;
        }
    }

    /// <summary>A string field, or null.</summary>
    public static string? String(JsonElement item, string name)
        => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>An integer field, or null.</summary>
    public static long? Integer(JsonElement item, string name)
        => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;

    /// <summary>The strings of an array field (<c>"flags": ["onlink"]</c>, <c>"state": ["REACHABLE"]</c>).</summary>
    public static List<string> Strings(JsonElement item, string name)
        => item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];

    private static (int Line, int Column) Position(byte[] bytes, long offset)
    {
        int line = 1, col = 1;
        for (long i = 0; i < offset && i < bytes.Length; i++)
        {
            if (bytes[i] == '\n')
            {
                line++;
                col = 1;
            }
            else if ((bytes[i] & 0xc0) != 0x80)
            {
                col++;
            }
        }
        return (line, col);
    }

    private static string FirstSentence(string message)
    {
        int at = message.IndexOf(" LineNumber", StringComparison.Ordinal);
        return (at > 0 ? message[..at] : message).TrimEnd('.', ' ');
    }
}
