using System.Diagnostics.CodeAnalysis;

namespace Datapath.Packets;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName) => throw new ArgumentOutOfRangeException(paramName);
}
