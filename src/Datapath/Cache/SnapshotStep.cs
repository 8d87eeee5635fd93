using Datapath.Packets;

namespace Datapath.Engine.Cache;

/// <summary>
/// What one cached action needs done before it runs, in a megaflow whose snapshots are applied in place
/// (<see cref="MegaflowEntry.InPlace"/>): the key words that change from the snapshot the previous action left
/// (<see cref="MegaflowEntry.StepOps"/>[<see cref="OpStart"/> .. + <see cref="OpCount"/>), each word's bits
/// <see cref="KeyDelta.Mask"/> set to <see cref="KeyDelta.Value"/>) and the header fields to write into the frame.
/// Both are the same for every packet of the megaflow: a changed bit is a consulted bit (or a tunnel bit the pass
/// set, or frozen state), so its value before and after is the megaflow's.
/// </summary>
internal readonly record struct SnapshotStep(int OpStart, int OpCount, HeaderFields Fields);
