using System.Text;
using System.Text.Json;

namespace Datapath.Live;

/// <summary>
/// The control socket's wire format (one request per connection, like ovs-appctl's unixctl):
/// the client sends one line, a JSON array of strings (the command and its arguments); the daemon
/// answers <c>status N\n</c> (N = the exit code: 0 ok, 1 bad command) followed by the output, and closes.
/// </summary>
internal static class ControlProtocol
{
    /// <summary>The longest request line accepted (a flow with many actions fits easily).</summary>
    public const int MaxRequestBytes = 1 << 20;

    public static byte[] EncodeRequest(IReadOnlyList<string> args)
        => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(args, ControlJsonContext.Default.IReadOnlyListString) + "\n");

    /// <summary>Decodes a request line; false with a message when it is not a JSON array of strings.</summary>
    public static bool TryDecodeRequest(ReadOnlySpan<byte> line, out string[] args, out string? error)
    {
        args = [];
        error = null;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                error = "a request is a JSON array of strings";
                return false;
            }
            var list = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    error = $"a request is a JSON array of strings (found {reader.TokenType} at byte {reader.TokenStartIndex})";
                    return false;
                }
                list.Add(reader.GetString()!);
            }
            if (reader.TokenType != JsonTokenType.EndArray)
            {
                error = "the JSON array is not closed";
                return false;
            }
            args = [.. list];
            return true;
        }
        catch (JsonException e)
        {
            error = $"malformed JSON: {e.Message}";
            return false;
        }
        catch (InvalidOperationException e)
        {
            // GetString on invalid UTF-8 or a lone surrogate escape (\ud800).
            error = $"a string is not valid UTF-8 or UTF-16: {e.Message}";
            return false;
        }
    }

    public static byte[] EncodeReply(ControlReply reply)
        => Encoding.UTF8.GetBytes($"status {reply.ExitCode}\n{reply.Output}");

    /// <summary>Decodes a whole answer (<c>status N\n</c> and the output); false when it is not one.</summary>
    public static bool TryDecodeReply(string text, out ControlReply reply)
    {
        reply = default;
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (!text.StartsWith("status ", StringComparison.Ordinal) || newline < 0
            || !int.TryParse(text.AsSpan(7, newline - 7), System.Globalization.CultureInfo.InvariantCulture, out int code))
            return false;
        reply = new ControlReply(code, text[(newline + 1)..]);
        return true;
    }
}
