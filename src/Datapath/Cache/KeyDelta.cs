namespace Datapath.Engine.Cache;

/// <summary>
/// One word of a key change a cached pass makes: the key after the change is the key before it
/// with the bits of <see cref="Mask"/> set to <see cref="Value"/>. The bits are those that changed
/// for the packet that made the entry — all consulted (a write consults its destination, as OVS's
/// xlate un-wildcards what set_field writes), so equal for every packet of the megaflow — and
/// the tunnel bits the pass wrote (set whatever the packet had, as tnl_push does).
/// </summary>
internal readonly record struct KeyDelta(int Word, ulong Mask, ulong Value);
