using System.Text;

namespace Datapath.Cli.Formatting;

/// <summary>tcpdump's hex_and_ascii_print: lines of "\n\t0xOOOO: " + 8 groups of 2 bytes + "  " + printable ASCII.</summary>
internal static class HexDump
{
    private const int BytesPerLine = 16;
    private const int HexColumnWidth = 40;

    public static void Append(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        Span<char> hex = stackalloc char[HexColumnWidth];
        Span<char> ascii = stackalloc char[BytesPerLine];
        for (int offset = 0; offset < data.Length; offset += BytesPerLine)
        {
            ReadOnlySpan<byte> line = data.Slice(offset, Math.Min(BytesPerLine, data.Length - offset));
            int h = 0;
            for (int i = 0; i < line.Length; i++)
            {
                if (i % 2 == 0)
                    hex[h++] = ' ';
                hex[h++] = "0123456789abcdef"[line[i] >> 4];
                hex[h++] = "0123456789abcdef"[line[i] & 0xF];
                ascii[i] = line[i] is >= 0x21 and <= 0x7E ? (char)line[i] : '.';
            }
            sb.Append("\n\t0x").Append(offset.ToString("x4")).Append(": ");
            sb.Append(hex[..h]).Append(' ', HexColumnWidth - h).Append("  ").Append(ascii[..line.Length]);
        }
    }
}
