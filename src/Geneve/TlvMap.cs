using System.Globalization;
using System.Text;

namespace Datapath.Geneve;

/// <summary>
/// The tunnel TLV table: which GENEVE options are tun_metadataN (OVS's tlv map, set up with
/// <c>ovs-ofctl add-tlv-map br-int "{class=0xffff,type=0,len=4}->tun_metadata0"</c>).
/// Immutable; <c>default</c> is the empty map (no option is understood).
/// </summary>
/// <remarks>
/// As in OVS, an option is identified by (class, type) and the map fixes its length: an option
/// whose (class, type) is mapped but whose length differs is an error, not an unknown option.
/// Lookups are a linear scan of at most 8 packed (class &lt;&lt; 8 | type) keys in their own small array,
/// parallel to the entries: cheaper than hashing at this size.
/// Thread-safety: immutable, any thread.
/// </remarks>
public readonly struct TlvMap : IEquatable<TlvMap>
{
    private readonly TlvMapEntry[]? _entries;
    private readonly uint _mappedIndexes;
    /// <summary>_keys[i] == _entries[i].Key: the per-option lookup scans packed 4-byte keys, not records.</summary>
    private readonly uint[]? _keys;

    /// <summary>Builds a map, rejecting duplicate (class, type) pairs and duplicate tun_metadata indexes.</summary>
    /// <exception cref="ArgumentException">A duplicate.</exception>
    public TlvMap(IEnumerable<TlvMapEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToArray();
        if (!TryValidate(list, out string? error))
            throw new ArgumentException(error, nameof(entries));
        _entries = list.Length == 0 ? null : list;
        _mappedIndexes = IndexBits(list);
        _keys = Keys(list);
    }

    private TlvMap(TlvMapEntry[] validated, bool _)
    {
        _entries = validated.Length == 0 ? null : validated;
        _mappedIndexes = IndexBits(validated);
        _keys = Keys(validated);
    }

    private static uint[]? Keys(TlvMapEntry[] entries)
        => entries.Length == 0 ? null : Array.ConvertAll(entries, e => e.Key);

    private static uint IndexBits(TlvMapEntry[] entries)
    {
        uint bits = 0;
        foreach (var e in entries)
            bits |= 1u << e.Index;
        return bits;
    }

    /// <summary>The map with no entries.</summary>
    public static TlvMap Empty => default;

    public ReadOnlySpan<TlvMapEntry> Entries => _entries;

    public int Count => _entries?.Length ?? 0;

    /// <summary>Finds the mapping of the option (class, type); type includes the critical bit.</summary>
    public bool TryFind(ushort optionClass, byte type, out TlvMapEntry entry)
    {
        var keys = _keys;
        if (keys is not null)
        {
            uint key = ((uint)optionClass << 8) | type;
            for (int i = 0; i < keys.Length; i++)
            {
                if (keys[i] == key)
                {
                    entry = _entries![i];
                    return true;
                }
            }
        }
        entry = default;
        return false;
    }

    /// <summary>Finds the mapping of tun_metadata<paramref name="index"/>.</summary>
    public bool TryFindByIndex(int index, out TlvMapEntry entry)
    {
        var entries = _entries;
        if (entries is not null)
        {
            for (int i = 0; i < entries.Length; i++)
            {
                if (entries[i].Index == index)
                {
                    entry = entries[i];
                    return true;
                }
            }
        }
        entry = default;
        return false;
    }

    /// <summary>Bit N set: tun_metadataN is mapped.</summary>
    public uint MappedIndexes => _mappedIndexes;

    /// <summary>A map with the entries of both; the same duplicates rules apply (add-tlv-map on a non-empty table).</summary>
    /// <exception cref="ArgumentException">A duplicate.</exception>
    public TlvMap Add(TlvMap other) => new((IEnumerable<TlvMapEntry>)[.. Entries, .. other.Entries]);

    /// <summary>Parses the add-tlv-map argument; throws <see cref="FormatException"/> naming the column.</summary>
    public static TlvMap Parse(string text)
        => TryParse(text, out var map, out string? error) ? map : throw new FormatException(error);

    /// <summary>
    /// Parses the argument of <c>ovs-ofctl add-tlv-map</c>: one or more comma-separated
    /// <c>{class=C,type=T,len=L}->tun_metadataN</c> (numbers decimal or 0x-hex, keys in any order,
    /// spaces allowed between tokens). On failure <paramref name="error"/> reads
    /// <c>column N: what is wrong</c> (1-based).
    /// </summary>
    public static bool TryParse(string text, out TlvMap map, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        map = default;
        var parser = new TlvMapParser(text);
        var list = new List<TlvMapEntry>();
        parser.SkipSpaces();
        if (parser.AtEnd)
        {
            error = "column 1: empty TLV map (expected {class=...,type=...,len=...}->tun_metadataN)";
            return false;
        }
        while (true)
        {
            if (!parser.TryParseEntry(out var entry, out error))
                return false;
            foreach (var e in list)
            {
                if (e.Key == entry.Key)
                {
                    error = parser.Error($"duplicate option class=0x{entry.OptionClass:x},type=0x{entry.Type:x}");
                    return false;
                }
                if (e.Index == entry.Index)
                {
                    error = parser.Error($"tun_metadata{entry.Index} is mapped twice");
                    return false;
                }
            }
            list.Add(entry);
            parser.SkipSpaces();
            if (parser.AtEnd)
                break;
            if (!parser.TryExpect(','))
            {
                error = parser.Error("expected ',' or the end after a mapping");
                return false;
            }
        }
        map = new TlvMap(list.ToArray(), true);
        error = null;
        return true;
    }

    /// <summary>The add-tlv-map form; <see cref="Parse"/> reads it back.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var e in Entries)
        {
            if (sb.Length > 0)
                sb.Append(',');
            sb.Append(e.ToString());
        }
        return sb.ToString();
    }

    public bool Equals(TlvMap other) => Entries.SequenceEqual(other.Entries);
    public override bool Equals(object? obj) => obj is TlvMap m && Equals(m);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var e in Entries)
            h.Add(e);
        return h.ToHashCode();
    }
    public static bool operator ==(TlvMap left, TlvMap right) => left.Equals(right);
    public static bool operator !=(TlvMap left, TlvMap right) => !left.Equals(right);

    private static bool TryValidate(TlvMapEntry[] entries, out string? error)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (entries[i].Key == entries[j].Key)
                {
                    error = $"duplicate option class=0x{entries[i].OptionClass:x},type=0x{entries[i].Type:x}";
                    return false;
                }
                if (entries[i].Index == entries[j].Index)
                {
                    error = $"tun_metadata{entries[i].Index} is mapped twice";
                    return false;
                }
            }
        }
        error = null;
        return true;
    }

    /// <summary>Cursor over add-tlv-map text.</summary>
    private ref struct TlvMapParser(string text)
    {
        private readonly string _text = text;
        private int _pos;

        public readonly bool AtEnd => _pos >= _text.Length;

        public readonly string Error(string message) => Error(_pos, message);

        private static string Error(int pos, string message) => string.Create(CultureInfo.InvariantCulture, $"column {pos + 1}: {message}");

        public void SkipSpaces()
        {
            while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
                _pos++;
        }

        public bool TryExpect(char c)
        {
            SkipSpaces();
            if (_pos < _text.Length && _text[_pos] == c)
            {
                _pos++;
                return true;
            }
            return false;
        }

        private bool TryExpect(string s)
        {
            SkipSpaces();
            if (string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0)
            {
                _pos += s.Length;
                return true;
            }
            return false;
        }

        public bool TryParseEntry(out TlvMapEntry entry, out string? error)
        {
            entry = default;
            int start = _pos;
            if (!TryExpect('{'))
            {
                error = Error("expected '{' to open a mapping");
                return false;
            }
            long cls = -1, type = -1, len = -1;
            while (true)
            {
                SkipSpaces();
                int keyPos = _pos;
                string key = ReadWord();
                if (key.Length == 0)
                {
                    error = Error(keyPos, "expected class=, type= or len=");
                    return false;
                }
                if (!TryExpect('='))
                {
                    error = Error($"expected '=' after '{key}'");
                    return false;
                }
                SkipSpaces();
                int valuePos = _pos;
                string valueText = ReadWord();
                if (!TryParseNumber(valueText, out long value))
                {
                    error = Error(valuePos, $"'{valueText}' is not a number (decimal or 0x-hex)");
                    return false;
                }
                switch (key)
                {
                    case "class" when value is >= 0 and <= 0xFFFF && cls < 0: cls = value; break;
                    case "type" when value is >= 0 and <= 0xFF && type < 0: type = value; break;
                    case "len" when len < 0:
                        if (value is not (4 or 8))
                        {
                            error = Error(valuePos, $"len={valueText}: only 4 or 8 are supported (tun_metadataN holds 64 bits here; OVS allows multiples of 4 up to 124)");
                            return false;
                        }
                        len = value;
                        break;
                    case "class" or "type" or "len" when (key == "class" ? cls : key == "type" ? type : len) >= 0:
                        error = Error(keyPos, $"'{key}' given twice");
                        return false;
                    case "class":
                        error = Error(valuePos, $"class={valueText} is out of range (0..0xffff)");
                        return false;
                    case "type":
                        error = Error(valuePos, $"type={valueText} is out of range (0..0xff)");
                        return false;
                    default:
                        error = Error(keyPos, $"unknown key '{key}' (expected class, type or len)");
                        return false;
                }
                if (TryExpect(','))
                    continue;
                if (TryExpect('}'))
                    break;
                error = Error("expected ',' or '}'");
                return false;
            }
            if (cls < 0 || type < 0 || len < 0)
            {
                string missing = cls < 0 ? "class" : type < 0 ? "type" : "len";
                error = Error(start, $"mapping lacks {missing}=");
                return false;
            }
            if (!TryExpect("->"))
            {
                error = Error("expected '->' after '}'");
                return false;
            }
            SkipSpaces();
            int fieldPos = _pos;
            string field = ReadWord();
            const string prefix = "tun_metadata";
            if (!field.StartsWith(prefix, StringComparison.Ordinal)
                || !int.TryParse(field.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                error = Error(fieldPos, $"expected tun_metadataN, got '{field}'");
                return false;
            }
            if ((uint)index > TlvMapEntry.MaxIndex)
            {
                error = Error(fieldPos, $"{field}: only tun_metadata0..tun_metadata{TlvMapEntry.MaxIndex} exist here");
                return false;
            }
            entry = new TlvMapEntry((ushort)cls, (byte)type, (int)len, index);
            error = null;
            return true;
        }

        private string ReadWord()
        {
            int start = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
                _pos++;
            return _text[start.._pos];
        }

        private static bool TryParseNumber(string s, out long value)
        {
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return long.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && s.Length > 2;
            return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
    }
}
