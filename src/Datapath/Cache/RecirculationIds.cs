using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Engine.Cache;

// Recirculation ids
// =================
//
// What?
// -----
// OVS's recirc_id: a small number that names a frozen pipeline state, so a packet coming back
// from the datapath after ct() resumes where it left off. In OVS (ofproto-dpif-rid.c) the state
// is the table to resume at plus the OpenFlow metadata the datapath cannot carry (registers,
// metadata) and the pass's push/pop stack and action set (frozen_state's stack and action_set);
// the datapath flow key carries only the id. The next pass gets the stack and the action set back
// from the id (TryThaw, OVS's xlate_actions restoring them from the frozen state). We carry
// registers and metadata in the FlowKey anyway, but name the state the same way, so that
//   - a megaflow after a recirculation is keyed on recirc_id and need not match registers
//     (`Megaflow: recirc_id=0x2,eth,ip,in_port=49,nw_frag=no` as OVS prints it), and
//   - a flow cache entry knows, as a constant, which recirc_id its ct(table=N) produces.
//
// Design
// ------
// A concurrent dictionary from the frozen state (resume table, metadata, reg0..reg15, stack, action
// set) to an id, and one back from the id to the state; ids handed out from 1 in order of first
// use, as OVS's allocator does on a fresh bridge (so the ids of a trace of the seed phases are
// OVS's 0x1, 0x2, ...). Id 0 is "not recirculated". Action-set entries compare by reference: the
// same rule's actions are the same objects, and an equal copy from another rule only costs an id.
//
// Invariants
// ----------
//  - One id per distinct state; an id never names two states while any cache entry may hold it.
//  - When more than MaxIds states exist the map is cleared and Generation advances: every flow
//    cache flushes on a new generation before it uses an id again (Bridge.CacheGeneration).
//
// Thread-safety and cost
// ----------------------
// Any thread. One lookup per recirculation on the slow path (none on the fast path: a cache entry
// stores the id); an allocation only when a state is new or holds a stack or an action set.
internal sealed class RecirculationIds
{
    /// <summary>States remembered before the map starts again (OVS frees unused ids; we forget them all at once).</summary>
    public const int MaxIds = 1 << 20;

    private readonly ConcurrentDictionary<FrozenState, uint> _ids = new();
    private readonly ConcurrentDictionary<uint, FrozenState> _states = new();
    private readonly Action _onReset;
    private int _next;

    public RecirculationIds(Action onReset) => _onReset = onReset;

    /// <summary>The id of resuming at <paramref name="table"/> with <paramref name="key"/>'s registers and metadata (no stack, no action set).</summary>
    public uint Get(byte table, in FlowKey key) => Get(table, in key, [], []);

    /// <summary>The id of resuming at <paramref name="table"/> with <paramref name="key"/>'s registers and metadata, the pass's stack and its action set.</summary>
    public uint Get(byte table, in FlowKey key, ReadOnlySpan<UInt128> stack, ReadOnlySpan<Actions.FlowAction> actionSet)
    {
        var state = new FrozenState(table, in key, stack, actionSet);
        if (_ids.TryGetValue(state, out uint id))
            return id;
        return Allocate(state);
    }

    /// <summary>
    /// The stack and action set frozen with <paramref name="id"/>; false when it froze neither (or is unknown: a
    /// recirc_id from before a reset names nothing, and every cache has flushed since).
    /// </summary>
    public bool TryThaw(uint id, out UInt128[] stack, out Actions.FlowAction[] actionSet)
    {
        if (_states.TryGetValue(id, out var state) && (state.Stack.Length | state.ActionSet.Length) != 0)
        {
            stack = state.Stack;
            actionSet = state.ActionSet;
            return true;
        }
        stack = [];
        actionSet = [];
        return false;
    }

    private uint Allocate(FrozenState state)
    {
        lock (_ids)
        {
            if (_ids.TryGetValue(state, out uint id))
                return id;
            if (_ids.Count >= MaxIds)
            {
                _ids.Clear();
                _states.Clear();
                _next = 0;
                _onReset();
            }
            id = (uint)++_next;
            _states[id] = state;
            _ids[state] = id;
            return id;
        }
    }

    /// <summary>The number of frozen states named so far.</summary>
    public int Count => _ids.Count;

    /// <summary>The resume table, metadata, registers, stack and action set: what the datapath key does not carry.</summary>
    private readonly struct FrozenState : IEquatable<FrozenState>
    {
        private readonly ulong _table, _metadata;
        private readonly RegisterArray _regs;

        public FrozenState(byte table, in FlowKey key, ReadOnlySpan<UInt128> stack, ReadOnlySpan<Actions.FlowAction> actionSet)
        {
            _table = table;
            _metadata = key.Metadata;
            _regs = key.Regs;
            Stack = stack.IsEmpty ? [] : stack.ToArray();
            ActionSet = actionSet.IsEmpty ? [] : actionSet.ToArray();
        }

        /// <summary>The push/pop stack, bottom first.</summary>
        public UInt128[] Stack { get; }

        /// <summary>The action set in the order written.</summary>
        public Actions.FlowAction[] ActionSet { get; }

        public bool Equals(FrozenState other)
        {
            if (_table != other._table || _metadata != other._metadata
                || !((ReadOnlySpan<uint>)_regs).SequenceEqual(other._regs)
                || !Stack.AsSpan().SequenceEqual(other.Stack) || ActionSet.Length != other.ActionSet.Length)
                return false;
            for (int i = 0; i < ActionSet.Length; i++)
            {
                if (!ReferenceEquals(ActionSet[i], other.ActionSet[i]))
                    return false;
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is FrozenState s && Equals(s);

        public override int GetHashCode()
        {
            var h = new HashCode();
            h.Add(_table);
            h.Add(_metadata);
            ReadOnlySpan<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<uint, ulong>((ReadOnlySpan<uint>)_regs);
            foreach (ulong w in words)
                h.Add(w);
            foreach (UInt128 v in Stack)
                h.Add(v);
            foreach (var a in ActionSet)
                h.Add(RuntimeHelpers.GetHashCode(a));
            return h.ToHashCode();
        }
    }
}
