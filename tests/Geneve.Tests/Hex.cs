namespace Datapath.Geneve.Tests;

internal static class Hex
{
    /// <summary>Hex with optional spaces, colons or newlines between bytes.</summary>
    public static byte[] Parse(string hex)
    {
        var clean = new string(hex.Where(Uri.IsHexDigit).ToArray());
        return Convert.FromHexString(clean);
    }

    public static string Format(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
