using System.Buffers;
using System.Diagnostics;

namespace Datapath.Io.Capture;

// Capture read buffer
// ===================
//
// What?
// -----
// The sliding window over a capture file that the pcap and pcapng readers parse from: records are
// parsed in place and frames handed out as slices of the window, so reading copies each byte once
// (kernel page cache -> window) and allocates nothing per frame.
//
// Design
// ------
// One pooled array (1 MiB by default).  [_start, _end) holds bytes read but not consumed.
// Ensure(n) makes n bytes available at _start: it compacts the unconsumed tail to the front when
// the window would run off the end, grows the array (rent one twice as big) only when the window is
// full of a single record's bytes that really arrived, and fills as much as the stream gives, so a
// stream read serves many records.  Growing by what arrived, never by what a length field claims,
// means a record header that claims 4 GiB in a 100-byte file costs no more than the 100 bytes: the
// window is at most twice the largest record actually present.  Skip(n) discards bytes through the
// window without keeping them (a block the reader does not parse costs no memory).
//
// The stream is only ever read forward: no Seek, no Length, so a pipe (`decode /dev/stdin`,
// `<(cat f.pcap)`) is read like a file.
//
// Invariants
// ----------
//  - 0 <= _start <= _end <= _buffer.Length; _bufferOffset is the file offset of _buffer[0].
//  - A slice handed out stays valid until the next Ensure/Skip (which may move or overwrite bytes).
//  - The array grows only when it is full of unconsumed bytes read from the stream.
//
// Thread-safety: none; owned by one reader.
// Cost: O(record) per record; memory = at most twice the largest record present, at least the window size.
internal sealed class CaptureReadBuffer : IDisposable
{
    public const int DefaultSize = 1 << 20;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _endOfStream;

    public CaptureReadBuffer(Stream stream, bool leaveOpen, int size = DefaultSize)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(size);
    }

    /// <summary>File offset of the first unconsumed byte.</summary>
    public long Position => _bufferOffset + _start;

    /// <summary>Bytes read from the stream and not yet consumed.</summary>
    public int Available => _end - _start;

    /// <summary>The unconsumed bytes.</summary>
    public ReadOnlySpan<byte> Span => new(_buffer, _start, _end - _start);

    /// <summary>A slice of the unconsumed bytes as memory (valid until the next Ensure/Skip).</summary>
    public ReadOnlyMemory<byte> Slice(int offset, int length)
    {
        Debug.Assert(offset >= 0 && length >= 0 && offset + length <= Available);
        return new ReadOnlyMemory<byte>(_buffer, _start + offset, length);
    }

    /// <summary>Makes <paramref name="count"/> bytes available; false when the stream ends first (then <see cref="Available"/> says how many there are).</summary>
    public bool Ensure(int count)
    {
        while (_end - _start < count && !_endOfStream)
        {
            if (_end == _buffer.Length)
                MakeRoom();
            int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
                _endOfStream = true;
            _end += n;
        }
        return _end - _start >= count;
    }

    /// <summary>Consumes <paramref name="count"/> bytes, reading and dropping what is not yet in the window; returns how many there were (fewer when the stream ends).</summary>
    public long Skip(long count)
    {
        long skipped = 0;
        while (skipped < count)
        {
            if (Available == 0 && !Ensure(1))
                break;
            int n = (int)Math.Min(Available, count - skipped);
            Advance(n);
            skipped += n;
        }
        return skipped;
    }

    /// <summary>The window is full up to its end: move the unconsumed bytes to the front, or, when they fill it, rent one twice as big.</summary>
    private void MakeRoom()
    {
        byte[] target = _start == 0 ? ArrayPool<byte>.Shared.Rent(_buffer.Length * 2) : _buffer;
        Buffer.BlockCopy(_buffer, _start, target, 0, _end - _start);
        if (!ReferenceEquals(target, _buffer))
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
        }
        _bufferOffset += _start;
        _end -= _start;
        _start = 0;
    }

    /// <summary>Consumes bytes made available by <see cref="Ensure"/>.</summary>
    public void Advance(int count)
    {
        Debug.Assert((uint)count <= (uint)Available);
        _start += count;
        if (_start == _end)
        {
            // Empty window: restart at the front so the next fill is one large read.
            _bufferOffset += _start;
            _start = _end = 0;
        }
    }

    public void Dispose()
    {
        byte[] b = _buffer;
        _buffer = [];
        _start = _end = 0;
        if (b.Length > 0)
            ArrayPool<byte>.Shared.Return(b);
        if (!_leaveOpen)
            _stream.Dispose();
    }
}
