using System.Buffers;
using Debug = System.Diagnostics.Debug;
using System.Runtime.CompilerServices;
using Datapath.Engine.Host;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// One thread's journey in flight (see <see cref="Journey"/>): the FIFO queue of hops, the counts of the current
/// journey, and the sink of every traversal (bridge and host) that decides, per frame sent, whether it continues
/// (copied into a pooled buffer and queued) or leaves (handed to the caller's sink as the span it came as).
/// </summary>
internal sealed class JourneyWalk(Journey journey) : IPacketSink, IHostSink
{
    /// <summary>A continuing frame: into <see cref="Node"/>'s host on <see cref="Device"/> (null: its gateway device), or into its bridge on <see cref="InPort"/>.</summary>
    private readonly record struct PendingHop(JourneyNode Node, bool ToHost, uint InPort, byte[] Buffer, int Length, HostInterface? Device = null);

    private readonly Queue<PendingHop> _queue = new();
    /// <summary>With a trace: for each frame the current bridge traversal sent, in order, whether it left.</summary>
    private readonly List<bool> _traceLeft = [];
    private IJourneySink? _sink;
    private Trace? _trace;
    private long _nowMs;
    private JourneyNode? _current;
    private bool _busy;
    private int _outputs, _drops, _delivered, _transits, _hops, _queued;

    public void Begin(IJourneySink? sink, long nowMs, Trace? trace)
    {
        if (_busy)
            throw new InvalidOperationException("a journey sink started another journey on the same thread");
        _busy = true;
        _sink = sink;
        _nowMs = nowMs;
        _trace = trace;
        _outputs = _drops = _delivered = _transits = _queued = 0;
        _hops = 1; // the first traversal, run by the caller on its own span
    }

    /// <summary>Returns every buffer still queued (only after an exception) and forgets the run.</summary>
    public void End()
    {
        while (_queue.TryDequeue(out var h))
            ArrayPool<byte>.Shared.Return(h.Buffer);
        _sink = null;
        _trace = null;
        _current = null;
        _busy = false;
    }

    /// <summary>Runs the queued hops in order until none is left or the budget is spent.</summary>
    public JourneyResult Drain()
    {
        while (_queue.TryDequeue(out var h))
        {
            try
            {
                if (_hops >= Journey.MaxHops)
                {
                    HopLimit(h.Node);
                    continue;
                }
                _hops++;
                var frame = h.Buffer.AsSpan(0, h.Length);
                if (h.ToHost)
                    Host(h.Node, h.Device ?? h.Node.GatewayInterface!, frame);
                else
                    Bridge(h.Node, h.InPort, frame, in Unsafe.NullRef<FlowKey>());
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(h.Buffer);
            }
        }
        return new JourneyResult(_outputs, _drops, _delivered, _transits, _hops, _queued);
    }

    /// <summary>One bridge traversal; <paramref name="tunnel"/> is a null ref, or the fields of a decapsulated frame.</summary>
    public void Bridge(JourneyNode node, uint inPort, ReadOnlySpan<byte> frame, ref readonly FlowKey tunnel, int prepared = -1)
    {
        _current = node;
        int traced = 0;
        if (_trace is { } t)
        {
            traced = t.Outputs.Count;
            _traceLeft.Clear();
        }
        var bridge = node.Bridged;
        var verdict = !Unsafe.IsNullRef(in tunnel) ? bridge.ProcessDecapsulated(inPort, frame, in tunnel, this, _nowMs, _trace)
            : prepared >= 0 && _trace is null ? bridge.ProcessPrepared(prepared, inPort, frame, this, _nowMs)
            : bridge.Process(inPort, frame, this, _nowMs, _trace);
        if (_trace is { } t2)
            KeepExitsOnly(t2, traced);
        if (verdict.Dropped)
            Drop(new JourneyDrop(node, JourneyDropPlace.Bridge, verdict.DropTable, verdict.DropReason ?? DropReason.NoOutput));
    }

    /// <summary>One host traversal: a frame received on <paramref name="device"/>, or (null) one the host originates.</summary>
    public void Host(JourneyNode node, HostInterface? device, ReadOnlySpan<byte> frame)
    {
        _current = node;
        var host = node.Host!;
        var verdict = device is null
            ? host.SendLocal(frame, this, _nowMs, _trace)
            : host.Receive(device.Name, frame, this, _nowMs, _trace);
        Account(node, verdict);
        if (verdict.Delivered)
        {
            _delivered++;
            _sink?.Deliver(node, frame);
            _trace?.Deliveries.Add(new TraceDelivery(node.Name, frame.Length));
        }
    }

    /// <summary>The host's neighbour timers due now (no frame in): what they send continues like any host transmission.</summary>
    public void HostTimers(JourneyNode node)
    {
        _current = node;
        Account(node, node.Host!.RunTimers(this, _nowMs, _trace));
    }

    private void Account(JourneyNode node, in HostVerdict verdict)
    {
        _queued += (verdict.Queued ? 1 : 0) - verdict.Released;
        if (verdict.DropReason is { } reason)
            Drop(new JourneyDrop(node, JourneyDropPlace.Host, DropCounters.NoTable, reason));
        if (verdict.GeneratedDropReason is { } generated)
        {
            for (int i = 0; i < verdict.GeneratedDrops; i++)
                Drop(new JourneyDrop(node, JourneyDropPlace.HostGenerated, DropCounters.NoTable, generated));
        }
    }

    /// <summary>IHostSink: a frame that waited for a neighbour ended in a drop (counted by the host).</summary>
    public void Dropped(HostStack host, DropReason reason)
    {
        _queued--;
        Drop(new JourneyDrop(_current!, JourneyDropPlace.HostQueued, DropCounters.NoTable, reason));
    }

    /// <summary>IHostSink: what the current host delivered to its local sockets, as they read it.</summary>
    public void Delivered(HostStack host, ReadOnlySpan<byte> frame) => _sink?.DeliverLocal(_current!, frame);

    /// <summary>IPacketSink: a frame the current bridge sends.</summary>
    public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame)
    {
        var from = _current!;
        Debug.Assert(node == from.Node);
        bool left = false;
        if (port.Kind == PortKind.Gateway && port == from.Gateway && from.Host is not null && journey.Scope != JourneyScope.Bridge)
        {
            _queue.Enqueue(new PendingHop(from, ToHost: true, 0, Copy(frame), frame.Length));
        }
        else if (port.Kind == PortKind.Tunnel && journey.Scope == JourneyScope.Cluster && journey.TryFindPeer(from, frame, out var peer))
        {
            _transits++;
            _sink?.Transit(new JourneyExit(from, port, null), frame);
            _queue.Enqueue(new PendingHop(peer, ToHost: false, peer.Tunnel!.OfPort, Copy(frame), frame.Length));
        }
        else
        {
            left = true;
            _outputs++;
            var exit = new JourneyExit(from, port, null);
            _sink?.Output(exit, frame);
            if (from.HasEndpoints && port.Kind == PortKind.Pod && from.GetEndpoint(port.OfPort) is { } pod && pod.AnswerArp(frame) is { } answer)
                Answer(from, port, pod, exit, answer);
        }
        if (_trace is not null)
            _traceLeft.Add(left);
    }

    /// <summary>A pod stack's answer enters the bridge on the pod's port, after the traversal that reached it.</summary>
    private void Answer(JourneyNode node, BridgePort port, PodEndpoint pod, in JourneyExit exit, byte[] answer)
    {
        _sink?.Answer(exit, answer);
        _trace?.Steps.Add(new TraceStep(node.Name, TraceKind.Neighbor, 0)
        {
            Summary = $"pod {pod.Name} at {port.Name}: ARP reply {pod.Address} is-at {pod.Mac} (its kernel answers the request)",
        }.Add("pod", pod.Name).Add("port", port.Name).Add("arp", "reply"));
        _queue.Enqueue(new PendingHop(node, ToHost: false, port.OfPort, Copy(answer), answer.Length));
    }

    /// <summary>IHostSink: a frame the current host transmits; on the gateway device it enters the bridge again.</summary>
    public void Transmit(HostStack host, HostInterface device, ReadOnlySpan<byte> frame)
    {
        var from = _current!;
        if (device == from.GatewayInterface)
        {
            _queue.Enqueue(new PendingHop(from, ToHost: false, from.Gateway!.OfPort, Copy(frame), frame.Length));
            return;
        }
        if (from.Node is null && journey.Scope == JourneyScope.Cluster && journey.TryFindHostPeer(from, frame, out var peer, out var peerDevice))
        {
            // A bridge-less node's underlay frame (vxlan.calico's outer packet) to another such node: its host receives it.
            _transits++;
            _sink?.Transit(new JourneyExit(from, null, device), frame);
            _queue.Enqueue(new PendingHop(peer, ToHost: true, 0, Copy(frame), frame.Length, peerDevice));
            return;
        }
        _outputs++;
        _sink?.Output(new JourneyExit(from, null, device), frame);
        _trace?.Outputs.Add(new TraceOutput(from.Name, device.Name, 0, frame.ToArray()));
    }

    private static byte[] Copy(ReadOnlySpan<byte> frame)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
        frame.CopyTo(buffer);
        return buffer;
    }

    private void Drop(in JourneyDrop drop)
    {
        _drops++;
        _sink?.Drop(in drop);
    }

    private void HopLimit(JourneyNode node)
    {
        journey.CountHopLimit();
        if (_trace is { } t)
        {
            t.Steps.Add(new TraceStep(node.Name, TraceKind.Drop, 0) { Summary = $"drop: hop-limit ({Journey.MaxHops} bridge/host traversals)" }
                .Add("reason", DropReasonNames.Name(DropReason.HopLimit)));
            t.Drops.Add(new TraceDrop(node.Name, null, DropReason.HopLimit));
        }
        Drop(new JourneyDrop(node, JourneyDropPlace.Journey, DropCounters.NoTable, DropReason.HopLimit));
    }

    /// <summary>
    /// Node.Process records a trace output for every frame it sends, right after handing it to us; the journey's
    /// outputs are its exits only, so the frames that continued are taken out again.
    /// </summary>
    private void KeepExitsOnly(Trace trace, int first)
    {
        Debug.Assert(trace.Outputs.Count - first == _traceLeft.Count);
        for (int i = _traceLeft.Count - 1; i >= 0; i--)
        {
            if (!_traceLeft[i])
                trace.Outputs.RemoveAt(first + i);
        }
    }
}
