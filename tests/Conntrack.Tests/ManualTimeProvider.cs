namespace Datapath.Conntrack.Tests;

/// <summary>A clock the test moves by hand; timers fire synchronously from <see cref="Advance"/>.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _ticks;

    public override long TimestampFrequency => 1000; // one tick per millisecond

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by)
    {
        _ticks += (long)by.TotalMilliseconds;
        foreach (var t in _timers.ToArray())
            t.Fire(_ticks);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new ManualTimer(this, callback, state, _ticks + (long)dueTime.TotalMilliseconds, (long)period.TotalMilliseconds);
        _timers.Add(t);
        return t;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state, long due, long period) : ITimer
    {
        private long _due = due;
        private long _period = period;

        public void Fire(long now)
        {
            while (_due <= now && _period > 0)
            {
                callback(state);
                _due += _period;
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _due = owner._ticks + (long)dueTime.TotalMilliseconds;
            _period = (long)period.TotalMilliseconds;
            return true;
        }

        public void Dispose() => owner._timers.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
