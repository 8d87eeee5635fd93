using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Datapath.Cli.Formatting;
using Datapath.Cli.Output;
using Datapath.Geneve;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath decode FILE.pcap|FILE.pcapng`: one line per frame like `tcpdump -en` (UTC times), or with
/// `--json` one JSON object per frame with the FlowKey fields by their ovs-fields names. Frames are
/// printed as they are read, so a truncated or corrupt file prints every frame before the fault,
/// then `error: FILE: offset N: ...` on stderr and exit code 1. FILE may be a pipe (`/dev/stdin`,
/// `&lt;(cat f.pcap)`); a directory or a missing file is bad input (exit 1), an unreadable one the
/// environment's problem (exit 2).
/// </summary>
internal sealed class DecodeCommand : ICliCommand
{
    public int Order => 20;

    public Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A pcap or pcapng file (the format is recognised by its first bytes)" };
        var json = new Option<bool>("--json") { Description = "One JSON object per frame (JSON lines) with the FlowKey fields by their ovs-fields names" };
        var absolute = new Option<bool>("--absolute-seq", "-S") { Description = "Print absolute TCP sequence numbers (tcpdump -S)" };
        var command = new Command("decode", "Print the frames of a capture file, one line per frame like tcpdump -en") { file, json, absolute };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            bool console = ReferenceEquals(output, Console.Out);
            if (console)
                output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
            try
            {
                return Run(parse.GetValue(file)!, parse.GetValue(json), parse.GetValue(absolute), output, parse.InvocationConfiguration.Error);
            }
            finally
            {
                output.Flush();
                if (console)
                    output.Dispose();
            }
        });
        return command;
    }

    /// <summary>Decodes <paramref name="path"/> to <paramref name="stdout"/>; errors go to <paramref name="stderr"/>. Returns the exit code.</summary>
    internal static int Run(string path, bool json, bool absoluteSequenceNumbers, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            using IFrameReader reader = PacketFileReader.Open(path);
            var text = new TcpdumpFormatter { AbsoluteSequenceNumbers = absoluteSequenceNumbers };
            using var jsonOut = json ? new JsonOutput(stdout) : null;
            long index = 0;
            while (reader.TryReadNext(out CapturedFrame frame))
            {
                index++;
                if (jsonOut is not null)
                    WriteJson(jsonOut, index, frame);
                else
                    stdout.Write(text.FormatLine(frame.Span, frame.TimestampNanoseconds, frame.OriginalLength) + "\n");
            }
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            stdout.Flush();
            if (CliError.TryReport(stderr, e, path, out int code))
                return code;
            throw;
        }
    }

    private static void WriteJson(JsonOutput json, long index, CapturedFrame frame)
    {
        ReadOnlySpan<byte> bytes = frame.Span;
        FlowKey.Extract(bytes, 0, out FlowKey key);
        string time = CaptureTime.Iso8601(frame.TimestampNanoseconds);
        string timeNs = frame.TimestampNanoseconds.ToString(CultureInfo.InvariantCulture);
        // The writer callback cannot capture a span: copy the (small) frame once; decode is not a hot path.
        byte[] data = bytes.ToArray();
        json.WriteLine(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("frame", index);
            w.WriteString("time", time);
            w.WritePropertyName("time_ns");
            w.WriteRawValue(timeNs); // an integer of any size: a pcapng time may be past Int64 nanoseconds
            w.WriteNumber("length", frame.OriginalLength);
            w.WriteNumber("captured_length", frame.CapturedLength);
            if (frame.InterfaceName is { } itf)
                w.WriteString("interface", itf);
            if ((key.Layout.Flags & ParseFlags.Truncated) != 0)
                w.WriteBoolean("truncated", true);
            FlowKeyJson.WriteFields(w, in key, data.Length, tunnel: false);
            WriteGeneve(w, data, in key);
            w.WriteEndObject();
        });
    }

    /// <summary>For a GENEVE frame (UDP port 6081): the header, and the inner frame's fields with tun_* as OVS sees them after decapsulation.</summary>
    private static void WriteGeneve(Utf8JsonWriter w, byte[] frame, in FlowKey outer)
    {
        if (!outer.IsIp || outer.NwProto != IpProtocols.Udp || (outer.Layout.Flags & ParseFlags.L4Complete) == 0
            || (outer.TpDst != GeneveHeader.UdpPort && outer.TpSrc != GeneveHeader.UdpPort))
            return;
        ReadOnlySpan<byte> payload = frame.AsSpan(outer.Layout.PayloadOffset);
        if (!GeneveHeader.TryRead(payload, out var g))
            return;
        w.WriteStartObject("geneve");
        w.WriteNumber("version", g.Version);
        w.WriteBoolean("oam", g.Oam);
        w.WriteBoolean("critical", g.Critical);
        w.WriteString("vni", "0x" + g.Vni.ToString("x", CultureInfo.InvariantCulture));
        w.WriteString("protocol", "0x" + g.ProtocolType.ToString("x4", CultureInfo.InvariantCulture));
        w.WriteStartArray("options");
        var options = g.EnumerateOptions();
        while (options.MoveNext())
        {
            var o = options.Current;
            w.WriteStartObject();
            w.WriteString("class", "0x" + o.Class.ToString("x4", CultureInfo.InvariantCulture));
            w.WriteString("type", "0x" + o.Type.ToString("x2", CultureInfo.InvariantCulture));
            w.WriteNumber("len", o.DataLength);
            w.WriteString("data", Convert.ToHexStringLower(o.Data));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        if (g.Version != GeneveHeader.CurrentVersion || g.ProtocolType != EtherTypes.TransparentEthernetBridging)
            return;
        ReadOnlySpan<byte> inner = payload[g.HeaderLength..];
        FlowKey.Extract(inner, 0, out FlowKey key);
        key.TunId = g.Vni;
        if (outer.IsIpv6)
        {
            key.TunIpv6Src = outer.Ipv6Src;
            key.TunIpv6Dst = outer.Ipv6Dst;
        }
        else
        {
            key.TunSrc = outer.NwSrc;
            key.TunDst = outer.NwDst;
        }
        key.TunTos = (byte)(outer.NwTos | outer.NwEcn);
        key.TunTtl = outer.NwTtl;
        w.WriteStartObject("inner");
        FlowKeyJson.WriteFields(w, in key, inner.Length, tunnel: true);
        w.WriteEndObject();
    }
}
