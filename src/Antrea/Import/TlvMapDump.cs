using System.Globalization;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// The mapping table of <c>ovs-ofctl dump-tlv-map br-int</c> as OVS prints it (print_tlv_table: a header line
/// <c>class type length match field</c>, a dashes line, then one row per option, <c>0xffff 0 4 tun_metadata0</c>),
/// as the TLV map it describes.
/// </summary>
public static class TlvMapDump
{
    public static TlvMap Parse(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var mappings = new List<string>();
        bool table = false;
        int n = 0;
        foreach (string raw in file.Text.Split('\n'))
        {
            n++;
            string s = raw.Trim();
            if (s.StartsWith("class", StringComparison.Ordinal))
            {
                table = true;
                continue;
            }
            if (!table || s.Length == 0 || s.StartsWith('-'))
                continue;
            var words = IpNeighDump.Words(raw.TrimEnd('\r'));
            if (words.Count != 4 || !words[3].Text.StartsWith("tun_metadata", StringComparison.Ordinal)
                || !TryNumber(words[0].Text, out ulong cls) || cls > 0xffff || !TryNumber(words[1].Text, out ulong type) || type > 0xff
                || !TryNumber(words[2].Text, out ulong len) || len > 124)
            {
                throw new InputException(file.Path, n, words.Count > 0 ? words[0].Column : 1, "not a mapping row as dump-tlv-map prints it", "'CLASS TYPE LENGTH tun_metadataN', e.g. '0xffff 0 4 tun_metadata0'");
            }
            mappings.Add(string.Create(CultureInfo.InvariantCulture, $"{{class=0x{cls:x},type={type},len={len}}}->{words[3].Text}"));
        }
        if (mappings.Count == 0)
            return TlvMap.Empty;
        if (!TlvMap.TryParse(string.Join(',', mappings), out var map, out string? error))
            throw InputException.InFile(file.Path, $"the mapping table does not make a TLV map: {error}");
        return map;
    }

    private static bool TryNumber(string text, out ulong value)
        => text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
