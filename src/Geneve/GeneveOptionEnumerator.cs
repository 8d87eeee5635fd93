namespace Datapath.Geneve;

/// <summary>
/// Walks the options of a GENEVE header without allocation. Stops at the first option that does
/// not fit in the remaining bytes and sets <see cref="IsMalformed"/>; a well-formed option area
/// ends exactly at its last option.
/// </summary>
public ref struct GeneveOptionEnumerator
{
    private ReadOnlySpan<byte> _remaining;
    private GeneveOption _current;
    private bool _malformed;

    /// <summary>Enumerates the options in <paramref name="options"/> (the option area of a header).</summary>
    public GeneveOptionEnumerator(ReadOnlySpan<byte> options)
    {
        _remaining = options;
        _current = default;
        _malformed = false;
    }

    public readonly GeneveOption Current => _current;

    /// <summary>True once enumeration stopped at bytes that do not hold a whole option.</summary>
    public readonly bool IsMalformed => _malformed;

    /// <summary>The option bytes not yet enumerated.</summary>
    public readonly ReadOnlySpan<byte> Remaining => _remaining;

    public bool MoveNext()
    {
        if (_remaining.IsEmpty)
            return false;
        if (!GeneveOption.TryRead(_remaining, out _current))
        {
            _malformed = true;
            return false;
        }
        _remaining = _remaining[_current.TotalLength..];
        return true;
    }

    public readonly GeneveOptionEnumerator GetEnumerator() => this;
}
