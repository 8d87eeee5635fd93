using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Datapath.Cli.Output;

/// <summary>
/// Writes the `--json` output of commands with <see cref="Utf8JsonWriter"/>: either JSON lines (one
/// compact object per line, <see cref="WriteLine"/>) or one document (<see cref="WriteDocument"/>).
/// Characters such as '+', '&lt;' and '&gt;' are written as-is (flow text like <c>ct_state=+new+trk</c> stays readable).
/// </summary>
internal sealed class JsonOutput : IDisposable
{
    private static readonly JsonWriterOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
    private static readonly JsonWriterOptions s_indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    private readonly TextWriter _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;

    public JsonOutput(TextWriter output, bool indented = false)
    {
        _output = output;
        _writer = new Utf8JsonWriter(_buffer, indented ? s_indented : s_compact);
    }

    /// <summary>Writes one value (usually an object) built by <paramref name="write"/>, then a newline.</summary>
    public void WriteLine(Action<Utf8JsonWriter> write)
    {
        write(_writer);
        _writer.Flush();
        _output.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
        _output.Write('\n');
        _buffer.Clear();
        _writer.Reset();
    }

    /// <summary>Writes a single indented JSON document followed by a newline.</summary>
    public static void WriteDocument(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var json = new JsonOutput(output, indented: true);
        json.WriteLine(write);
    }

    public void Dispose() => _writer.Dispose();
}
