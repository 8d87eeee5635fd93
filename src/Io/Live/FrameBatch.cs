using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Datapath.Io.Live;

// Frame batch
// ===========
//
// What?
// -----
// A fixed set of frame slots in one pinned array: a port's ReceiveBatch fills slots 0..Count-1,
// the caller reads (and may rewrite in place) each frame, then the next ReceiveBatch reuses the
// same memory. The same type carries frames the other way for SendBatch. A port with a
// PACKET_MMAP ring (AfPacketPort) does not copy at all: it lends frames that stay in the kernel's
// ring (CommitExternal); they are valid until the next ReceiveBatch on that port.
//
// Design
// ------
// One pinned byte[] (GC.AllocateArray(pinned: true)) of Capacity slots, each
// Headroom + FrameCapacity bytes long. Frame i is (address[i], length[i], room[i]): its first byte,
// its length and how many bytes in front of it it may grow into (TryPush). For a frame in a slot the
// address points into the pinned array (which never moves); for a lent ring frame, into the ring. Native code (read, recvmmsg, pcap_dispatch) writes straight
// into a slot at its headroom, so a steady stream allocates nothing and copies each frame at most
// once (libpcap's ring -> slot). The headroom lets a frame grow at the front in place: the
// AF_PACKET port re-inserts an 802.1Q tag the kernel moved out of band, and an encapsulator may
// push outer headers (GENEVE needs 50 bytes) without copying the frame.
//
// Invariants
// ----------
//  - 0 <= Count <= Capacity; for i < Count, frame i is [address[i], address[i] + length[i]) and the
//    room[i] bytes before it are writable memory of the same slot (or ring frame).
//  - Frame i never overlaps frame j (i != j): each lives in its own slot or ring frame.
//
// Thread-safety
// -------------
// None: a batch belongs to one thread at a time (the receive loop's, then its callback's).
//
// Cost
// ----
// Capacity * (Headroom + FrameCapacity) bytes, pinned for the batch's lifetime (64 x 2112 = 132 KiB
// by default), plus 16 bytes of bookkeeping per slot; indexing is O(1).

/// <summary>A reusable batch of frames in pooled, pinned memory (see the design notes in the source).</summary>
public sealed class FrameBatch
{
    /// <summary>Bytes in front of every slot's frame that a frame may grow into (VLAN tag, tunnel headers).</summary>
    public const int Headroom = 64;

    /// <summary>Default number of slots: one receive system call fills at most this many frames.</summary>
    public const int DefaultCapacity = 64;

    /// <summary>Default largest frame: a 1500-byte MTU frame with an 802.1Q tag fits, with room to spare.</summary>
    public const int DefaultFrameCapacity = 2048;

    private readonly byte[] _buffer;
    private readonly nint _base;
    private readonly nint[] _addresses;
    private readonly int[] _lengths;
    private readonly int[] _room;
    private readonly int _stride;

    /// <summary>Makes a batch of <paramref name="capacity"/> slots of <paramref name="frameCapacity"/> bytes each.</summary>
    public unsafe FrameBatch(int capacity = DefaultCapacity, int frameCapacity = DefaultFrameCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCapacity, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameCapacity, 65536);
        Capacity = capacity;
        FrameCapacity = frameCapacity;
        _stride = Headroom + frameCapacity;
        _buffer = GC.AllocateArray<byte>(checked(capacity * _stride), pinned: true);
        _base = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        _addresses = new nint[capacity];
        _lengths = new int[capacity];
        _room = new int[capacity];
    }

    /// <summary>Number of slots.</summary>
    public int Capacity { get; }

    /// <summary>Largest frame a slot holds, in bytes (excluding <see cref="Headroom"/>).</summary>
    public int FrameCapacity { get; }

    /// <summary>Number of frames held, in slots 0..Count-1.</summary>
    public int Count { get; private set; }

    /// <summary>Frame <paramref name="index"/> (0 &lt;= index &lt; Count), writable in place.</summary>
    public unsafe Span<byte> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                ThrowIndex();
            }

            return new Span<byte>((void*)_addresses[index], _lengths[index]);
        }
    }

    /// <summary>Length in bytes of frame <paramref name="index"/>.</summary>
    public int GetLength(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            ThrowIndex();
        }

        return _lengths[index];
    }

    /// <summary>Forgets all frames (the memory is kept).</summary>
    public void Clear() => Count = 0;

    /// <summary>Copies <paramref name="frame"/> into the next free slot; false if the batch is full or the frame too long.</summary>
    public bool TryAdd(ReadOnlySpan<byte> frame)
    {
        if (Count == Capacity || frame.Length > FrameCapacity)
        {
            return false;
        }

        int start = (Count * _stride) + Headroom;
        frame.CopyTo(_buffer.AsSpan(start, frame.Length));
        _addresses[Count] = _base + start;
        _lengths[Count] = frame.Length;
        _room[Count] = Headroom;
        Count++;
        return true;
    }

    /// <summary>
    /// Grows frame <paramref name="index"/> at the front by <paramref name="length"/> bytes taken from
    /// the slot's headroom and returns the new frame; false when the headroom is used up.
    /// </summary>
    public unsafe bool TryPush(int index, int length, out Span<byte> frame)
    {
        if ((uint)index >= (uint)Count)
        {
            ThrowIndex();
        }

        if (length < 0 || length > _room[index])
        {
            frame = default;
            return false;
        }

        _addresses[index] -= length;
        _room[index] -= length;
        _lengths[index] += length;
        frame = new Span<byte>((void*)_addresses[index], _lengths[index]);
        return true;
    }

    // Native fill side: ports write into slot memory, then Commit the frame.

    /// <summary>Address of slot <paramref name="index"/>'s frame area (after the headroom).</summary>
    internal unsafe byte* SlotData(int index)
    {
        Debug.Assert((uint)index < (uint)Capacity);
        return (byte*)_base + (index * _stride) + Headroom;
    }

    /// <summary>Slot <paramref name="index"/>'s whole frame area (after the headroom).</summary>
    internal Span<byte> SlotSpan(int index) => _buffer.AsSpan((index * _stride) + Headroom, FrameCapacity);

    /// <summary>Appends the frame a port wrote into slot <see cref="Count"/> at <c>SlotData + offset</c>.</summary>
    internal void Commit(int offset, int length)
    {
        Debug.Assert(Count < Capacity);
        Debug.Assert(offset >= -Headroom && offset + length <= FrameCapacity);
        _addresses[Count] = _base + (Count * _stride) + Headroom + offset;
        _lengths[Count] = length;
        _room[Count] = Headroom + offset;
        Count++;
    }

    /// <summary>
    /// Appends a frame that stays where it is (a PACKET_MMAP ring frame lent by the port until its
    /// next receive): <paramref name="length"/> bytes at <paramref name="data"/>, with
    /// <paramref name="room"/> writable bytes in front of it.
    /// </summary>
    internal unsafe void CommitExternal(byte* data, int length, int room)
    {
        Debug.Assert(Count < Capacity);
        Debug.Assert(length >= 0 && room >= 0);
        _addresses[Count] = (nint)data;
        _lengths[Count] = length;
        _room[Count] = room;
        Count++;
    }

    /// <summary>Address of frame <paramref name="index"/>.</summary>
    internal unsafe byte* FrameData(int index)
    {
        Debug.Assert((uint)index < (uint)Count);
        return (byte*)_addresses[index];
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowIndex() => throw new ArgumentOutOfRangeException("index");
}
