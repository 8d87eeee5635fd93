namespace Datapath.Engine;

/// <summary>
/// A worker's journey sink in a parallel run of <see cref="JourneyWorkers"/>: keeps every event (and a copy of
/// its frame, in one reused arena) tagged with the window index of the frame that caused it, so the dispatcher
/// can hand them on in input order. No allocation once its arrays have grown to the largest run.
/// </summary>
internal sealed class JourneyRecorder : IJourneySink
{
    internal enum EventKind : byte { Output, Transit, Deliver, Drop, Answer }

    internal struct Event
    {
        public int Frame;
        public EventKind Kind;
        public JourneyExit Exit;
        public JourneyNode? Node;
        public JourneyDrop Drop;
        public int Offset;
        public int Length;
    }

    private Event[] _events = new Event[256];
    private byte[] _arena = new byte[64 * 1024];
    private int _used;
    private int _frame;

    public int Count { get; private set; }

    /// <summary>Forgets the previous run.</summary>
    public void Clear()
    {
        Array.Clear(_events, 0, Count);
        Count = 0;
        _used = 0;
    }

    /// <summary>The events recorded next belong to frame <paramref name="index"/> of the window.</summary>
    public void Begin(int index) => _frame = index;

    public ref readonly Event this[int index] => ref _events[index];

    public ReadOnlySpan<byte> FrameOf(in Event e) => _arena.AsSpan(e.Offset, e.Length);

    public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame) => Add(EventKind.Output, frame).Exit = exit;

    public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame) => Add(EventKind.Transit, frame).Exit = via;

    public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame) => Add(EventKind.Deliver, frame).Node = node;

    public void Drop(in JourneyDrop drop) => Add(EventKind.Drop, []).Drop = drop;

    public void Answer(in JourneyExit exit, ReadOnlySpan<byte> frame) => Add(EventKind.Answer, frame).Exit = exit;

    /// <summary>Hands event <paramref name="index"/> on to <paramref name="sink"/>.</summary>
    public void Replay(int index, IJourneySink sink)
    {
        ref readonly var e = ref _events[index];
        switch (e.Kind)
        {
            case EventKind.Output:
                sink.Output(in e.Exit, FrameOf(in e));
                break;
            case EventKind.Transit:
                sink.Transit(in e.Exit, FrameOf(in e));
                break;
            case EventKind.Deliver:
                sink.Deliver(e.Node!, FrameOf(in e));
                break;
            case EventKind.Answer:
                sink.Answer(in e.Exit, FrameOf(in e));
                break;
            default:
                sink.Drop(in e.Drop);
                break;
        }
    }

    private ref Event Add(EventKind kind, ReadOnlySpan<byte> frame)
    {
        if (Count == _events.Length)
            Array.Resize(ref _events, _events.Length * 2);
        if (_used + frame.Length > _arena.Length)
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _used + frame.Length));
        frame.CopyTo(_arena.AsSpan(_used));
        ref var e = ref _events[Count++];
        e = new Event { Frame = _frame, Kind = kind, Offset = _used, Length = frame.Length };
        _used += frame.Length;
        return ref e;
    }
}
