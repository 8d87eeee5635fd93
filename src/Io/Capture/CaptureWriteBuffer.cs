using System.Buffers;

namespace Datapath.Io.Capture;

/// <summary>
/// The output buffer of the pcap and pcapng writers: records are assembled in a pooled array and
/// written to the stream in large chunks; a frame bigger than the buffer goes to the stream directly.
/// </summary>
internal sealed class CaptureWriteBuffer : IDisposable
{
    public const int DefaultSize = 256 << 10;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer;
    private int _count;

    public CaptureWriteBuffer(Stream stream, bool leaveOpen, int size = DefaultSize)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(size);
    }

    /// <summary>Bytes handed to the stream or still buffered.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>A span of exactly <paramref name="length"/> bytes to fill, then <see cref="Advance"/>; length must not exceed the buffer.</summary>
    public Span<byte> GetSpan(int length)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_buffer.Length - _count < length)
            FlushBuffer();
        return _buffer.AsSpan(_count, length);
    }

    public void Advance(int length)
    {
        _count += length;
        BytesWritten += length;
    }

    /// <summary>Appends bytes (large ones bypass the buffer).</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (data.Length <= _buffer.Length - _count)
        {
            data.CopyTo(_buffer.AsSpan(_count));
            _count += data.Length;
        }
        else
        {
            FlushBuffer();
            if (data.Length <= _buffer.Length / 2)
            {
                data.CopyTo(_buffer);
                _count = data.Length;
            }
            else
            {
                _stream.Write(data);
            }
        }
        BytesWritten += data.Length;
    }

    public void WriteZeros(int count)
    {
        Span<byte> s = GetSpan(count);
        s.Clear();
        Advance(count);
    }

    public void Flush()
    {
        FlushBuffer();
        _stream.Flush();
    }

    private void FlushBuffer()
    {
        if (_count > 0)
        {
            _stream.Write(_buffer, 0, _count);
            _count = 0;
        }
    }

    public void Dispose()
    {
        if (_buffer.Length == 0)
            return;
        try
        {
            Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            if (!_leaveOpen)
                _stream.Dispose();
        }
    }
}
