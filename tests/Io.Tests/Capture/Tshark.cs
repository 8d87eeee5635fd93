using System.Diagnostics;
using System.Globalization;
using System.Numerics;

namespace Datapath.Io.Tests.Capture;

/// <summary>Runs tshark (Wireshark's reader, the independent judge) on capture bytes and returns what it printed.</summary>
internal static class Tshark
{
    /// <summary>tshark's exit code, its rows (one a frame, the fields tab-separated) and its stderr.</summary>
    public sealed record Result(int ExitCode, List<string[]> Rows, string Stderr)
    {
        public bool Accepted => ExitCode == 0;
    }

    public static Result Fields(byte[] file, string extension, params string[] fields)
    {
        string tshark = ExternalTools.Require("tshark", "tshark");
        string path = Path.Combine(Path.GetTempPath(), $"datapath-io-tshark-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, file);
        try
        {
            var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-r", path, "-T", "fields" })
                psi.ArgumentList.Add(a);
            foreach (var f in fields)
            {
                psi.ArgumentList.Add("-e");
                psi.ArgumentList.Add(f);
            }
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
            return new Result(p.ExitCode, rows, stderr.Result);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// frame.time_epoch as nanoseconds. tshark prints its nstime_t as the signed seconds, a point,
    /// then the nanoseconds, which are always added: -0.5 s is seconds -1 and 500000000 ns, printed
    /// "-1.500000000".
    /// </summary>
    public static Int128 EpochNanoseconds(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        var seconds = BigInteger.Parse(text[..dot], CultureInfo.InvariantCulture);
        var nanoseconds = BigInteger.Parse(text[(dot + 1)..].PadRight(9, '0')[..9], CultureInfo.InvariantCulture);
        return (Int128)(seconds * 1_000_000_000 + nanoseconds);
    }
}
