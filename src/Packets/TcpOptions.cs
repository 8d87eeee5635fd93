using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>
/// A reader over TCP option bytes (RFC 9293 section 3.2): enumerate them with foreach, or ask for
/// the common ones (MSS, window scale, SACK-permitted, timestamps). A malformed option (length
/// below 2 or past the end) ends the list; <see cref="IsWellFormed"/> tells whether that happened.
/// </summary>
public readonly ref struct TcpOptions
{
    private readonly ReadOnlySpan<byte> _bytes;

    public TcpOptions(ReadOnlySpan<byte> optionBytes) => _bytes = optionBytes;

    public ReadOnlySpan<byte> Bytes => _bytes;

    public Enumerator GetEnumerator() => new(_bytes);

    /// <summary>False when an option's length octet is below 2 or runs past the options.</summary>
    public bool IsWellFormed
    {
        get
        {
            var e = new Enumerator(_bytes);
            while (e.MoveNext())
            {
            }
            return !e.Malformed;
        }
    }

    public bool TryGetMss(out ushort mss)
    {
        foreach (var o in this)
        {
            if (o.Kind == TcpOptionKinds.Mss && o.Data.Length == 2)
            {
                mss = BinaryPrimitives.ReadUInt16BigEndian(o.Data);
                return true;
            }
        }
        mss = 0;
        return false;
    }

    public bool TryGetWindowScale(out byte shift)
    {
        foreach (var o in this)
        {
            if (o.Kind == TcpOptionKinds.WindowScale && o.Data.Length == 1)
            {
                shift = o.Data[0];
                return true;
            }
        }
        shift = 0;
        return false;
    }

    public bool SackPermitted
    {
        get
        {
            foreach (var o in this)
            {
                if (o.Kind == TcpOptionKinds.SackPermitted && o.Data.Length == 0)
                    return true;
            }
            return false;
        }
    }

    public bool TryGetTimestamps(out uint value, out uint echoReply)
    {
        foreach (var o in this)
        {
            if (o.Kind == TcpOptionKinds.Timestamps && o.Data.Length == 8)
            {
                value = BinaryPrimitives.ReadUInt32BigEndian(o.Data);
                echoReply = BinaryPrimitives.ReadUInt32BigEndian(o.Data[4..]);
                return true;
            }
        }
        value = echoReply = 0;
        return false;
    }

    /// <summary>Walks options in order; stops after EOL, at the end, or at a malformed option.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private int _next;
        private TcpOption _current;

        internal Enumerator(ReadOnlySpan<byte> bytes)
        {
            _bytes = bytes;
            _next = 0;
            _current = default;
            Malformed = false;
        }

        public readonly TcpOption Current => _current;

        /// <summary>The walk stopped at an option whose length was invalid.</summary>
        public bool Malformed { get; private set; }

        public bool MoveNext()
        {
            int i = _next;
            if ((uint)i >= (uint)_bytes.Length)
                return false;
            byte kind = _bytes[i];
            if (kind is TcpOptionKinds.EndOfList or TcpOptionKinds.Nop)
            {
                _current = new TcpOption(kind, default);
                _next = kind == TcpOptionKinds.EndOfList ? _bytes.Length : i + 1;
                return true;
            }
            if (i + 1 >= _bytes.Length || _bytes[i + 1] < 2 || i + _bytes[i + 1] > _bytes.Length)
            {
                Malformed = true;
                _next = _bytes.Length;
                return false;
            }
            int len = _bytes[i + 1];
            _current = new TcpOption(kind, _bytes.Slice(i + 2, len - 2));
            _next = i + len;
            return true;
        }
    }
}
