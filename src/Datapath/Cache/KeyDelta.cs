namespace Datapath.Engine.Cache;

/// <summary>
/// One word of a key change a cached pass makes: the key after the change is the key before it
/// with <see cref="Xor"/> applied to word <see cref="Word"/>. Every changed bit was consulted (a
/// write consults its destination, as OVS's xlate un-wildcards what set_field writes), so the
/// same XOR is right for every packet the megaflow matches.
/// </summary>
internal readonly record struct KeyDelta(int Word, ulong Xor);
