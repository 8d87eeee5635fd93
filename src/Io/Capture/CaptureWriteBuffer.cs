using System.Buffers;

namespace Datapath.Io.Capture;

/// <summary>
/// The output buffer of the pcap and pcapng writers: records are assembled in a pooled array and
/// written to the stream in large chunks; a frame bigger than the buffer goes to the stream directly.
/// <para>Write-behind (files only): a full chunk is handed to a thread-pool task that writes it while the
/// writer fills a second buffer, so the kernel's copy into the page cache runs on another core. At most one
/// chunk is in flight: the next hand-over, a direct write, <see cref="Flush"/> and <see cref="Dispose"/> wait for
/// it first, so the stream sees the chunks in order and exactly as a synchronous writer writes them, and a failed
/// write (a full disk) is thrown by the writer's next call.</para>
/// </summary>
internal sealed class CaptureWriteBuffer : IDisposable
{
    public const int DefaultSize = 256 << 10;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer;
    private byte[] _spare;
    private Task? _pending;
    private int _count;

    public CaptureWriteBuffer(Stream stream, bool leaveOpen, int size = DefaultSize)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(size);
        _spare = stream is FileStream ? ArrayPool<byte>.Shared.Rent(size) : [];
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
                WaitPending();
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
        WaitPending();
        _stream.Flush();
    }

    private void FlushBuffer()
    {
        if (_count == 0)
            return;
        if (_spare.Length == 0)
        {
            _stream.Write(_buffer, 0, _count);
            _count = 0;
            return;
        }
        WaitPending();
        var (full, length, stream) = (_buffer, _count, _stream);
        _pending = Task.Run(() => stream.Write(full, 0, length));
        (_buffer, _spare) = (_spare, full);
        _count = 0;
    }

    /// <summary>Waits for the chunk in flight, if any; its failure is thrown here.</summary>
    private void WaitPending()
    {
        if (_pending is { } pending)
        {
            _pending = null;
            pending.GetAwaiter().GetResult();
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
            try
            {
                _pending?.Wait(); // only after a failed Flush: no buffer goes back to the pool while a task writes it
            }
            catch (AggregateException)
            {
                // that failure was thrown by Flush already
            }
            ArrayPool<byte>.Shared.Return(_buffer);
            if (_spare.Length > 0)
                ArrayPool<byte>.Shared.Return(_spare);
            _buffer = _spare = [];
            if (!_leaveOpen)
                _stream.Dispose();
        }
    }
}
