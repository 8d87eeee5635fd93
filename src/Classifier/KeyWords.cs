using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>Word views of a FlowKey passed by <c>in</c> (FlowKey.Words needs a mutable receiver).</summary>
internal static class KeyWords
{
    /// <summary>Words a match may constrain: all but the last (PacketLayout), which is never matched.</summary>
    public const int Matchable = FlowKey.WordCount - 1;

    /// <summary>The word holding nw_src (low 32 bits) and nw_dst (high 32 bits); a test checks it against FlowKey's layout.</summary>
    public const int Nw = 36;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<ulong> Of(in FlowKey key)
        => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key)), Matchable);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref ulong Ref(in FlowKey key, int word)
        => ref Unsafe.Add(ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key)), word);
}
