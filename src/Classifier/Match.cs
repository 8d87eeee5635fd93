using System.Text;
using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// An OpenFlow match: a FlowKey of values and a FlowKey of masks (1 = the bit must equal the value).
/// Immutable.  The PacketLayout word is never part of a match.
/// </summary>
/// <remarks>Invariant: <c>Value &amp; ~Mask == 0</c> in every word (the constructor enforces it).</remarks>
public sealed class Match : IEquatable<Match>
{
    /// <summary>OpenFlow's default priority (OFP_DEFAULT_PRIORITY); dump-flows omits it.</summary>
    public const ushort DefaultPriority = 0x8000;

    /// <summary>Matches every packet.</summary>
    public static readonly Match CatchAll = new(default, default);

    private readonly FlowKey _value;
    private readonly FlowKey _mask;
    private readonly int _hash;
    private readonly int _maskHash;

    public Match(in FlowKey value, in FlowKey mask)
    {
        FlowKey v = value, m = mask;
        Span<ulong> vw = v.Words, mw = m.Words;
        vw[FlowKey.WordCount - 1] = 0;
        mw[FlowKey.WordCount - 1] = 0;
        var hc = new HashCode();
        var mhc = new HashCode();
        for (int i = 0; i < KeyWords.Matchable; i++)
        {
            vw[i] &= mw[i];
            hc.Add(vw[i]);
            hc.Add(mw[i]);
            mhc.Add(mw[i]);
        }
        _value = v;
        _mask = m;
        _hash = hc.ToHashCode();
        _maskHash = mhc.ToHashCode();
    }

    /// <summary>A hash of the mask alone (equal masks hash alike): the classifier's subtable key.</summary>
    internal int MaskHash => _maskHash;

    public ref readonly FlowKey Value => ref _value;
    public ref readonly FlowKey Mask => ref _mask;

    public bool IsCatchAll
    {
        get
        {
            foreach (ulong w in KeyWords.Of(in _mask))
            {
                if (w != 0)
                    return false;
            }
            return true;
        }
    }

    /// <summary>The key has the match's value in every masked bit.</summary>
    public bool Matches(in FlowKey key)
    {
        ReadOnlySpan<ulong> k = KeyWords.Of(in key), v = KeyWords.Of(in _value), m = KeyWords.Of(in _mask);
        for (int i = 0; i < k.Length; i++)
        {
            if (((k[i] ^ v[i]) & m[i]) != 0)
                return false;
        }
        return true;
    }

    /// <summary>Some packet matches both (the masks agree wherever both care).</summary>
    public bool Intersects(Match other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ReadOnlySpan<ulong> v1 = KeyWords.Of(in _value), m1 = KeyWords.Of(in _mask);
        ReadOnlySpan<ulong> v2 = KeyWords.Of(in other._value), m2 = KeyWords.Of(in other._mask);
        for (int i = 0; i < v1.Length; i++)
        {
            if (((v1[i] ^ v2[i]) & m1[i] & m2[i]) != 0)
                return false;
        }
        return true;
    }

    /// <summary>
    /// Every packet this match matches is matched by <paramref name="filter"/>: the OpenFlow
    /// non-strict ("loose") comparison used by modify and delete.
    /// </summary>
    public bool IsWithin(Match filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ReadOnlySpan<ulong> v = KeyWords.Of(in _value), m = KeyWords.Of(in _mask);
        ReadOnlySpan<ulong> fv = KeyWords.Of(in filter._value), fm = KeyWords.Of(in filter._mask);
        for (int i = 0; i < v.Length; i++)
        {
            if ((fm[i] & ~m[i]) != 0 || ((v[i] ^ fv[i]) & fm[i]) != 0)
                return false;
        }
        return true;
    }

    /// <summary>The masks are equal word for word (same subtable).</summary>
    public bool SameMask(Match other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return KeyWords.Of(in _mask).SequenceEqual(KeyWords.Of(in other._mask));
    }

    public UInt128 GetValue(FieldInfo field) => FieldRegistry.Read(in _value, field);

    public UInt128 GetMask(FieldInfo field) => FieldRegistry.Read(in _mask, field);

    public UInt128 GetValue(FieldId id) => GetValue(FieldRegistry.Get(id));

    public UInt128 GetMask(FieldId id) => GetMask(FieldRegistry.Get(id));

    /// <summary>The match as ovs-ofctl prints it (OVS's match_format order), with <c>priority=</c> unless it is the default.</summary>
    public string Format(IPortMap? ports, int priority = DefaultPriority)
    {
        var sb = new StringBuilder();
        MatchFormatter.Format(sb, this, ports, priority);
        return sb.ToString();
    }

    public override string ToString() => Format(null);

    public bool Equals(Match? other)
    {
        if (other is null)
            return false;
        if (ReferenceEquals(this, other))
            return true;
        return _hash == other._hash
            && KeyWords.Of(in _mask).SequenceEqual(KeyWords.Of(in other._mask))
            && KeyWords.Of(in _value).SequenceEqual(KeyWords.Of(in other._value));
    }

    public override bool Equals(object? obj) => obj is Match m && Equals(m);

    public override int GetHashCode() => _hash;
}
