using System.Buffers.Binary;
using System.Diagnostics;

namespace Datapath.Conntrack.Tests;

/// <summary>
/// Writes frames to a tiny classic pcap (LINKTYPE_ETHERNET) and asks tshark, an independent
/// judge, to verify the IP/TCP/UDP/ICMP checksums. Tests skip when tshark is missing and cannot
/// be installed (apt-get needs root).
/// </summary>
internal static class TsharkJudge
{
    public static string? Find()
    {
        foreach (var p in new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" })
        {
            if (File.Exists(p))
                return p;
        }
        try
        {
            Run("/bin/sh", "-c \"DEBIAN_FRONTEND=noninteractive apt-get install -y tshark >/dev/null 2>&1\"");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        return File.Exists("/usr/bin/tshark") ? "/usr/bin/tshark" : null;
    }

    public static void WritePcap(string path, IEnumerable<byte[]> frames)
    {
        using var fs = File.Create(path);
        Span<byte> gh = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(gh, 0xa1b2c3d4); // microsecond pcap, little-endian
        BinaryPrimitives.WriteUInt16LittleEndian(gh[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(gh[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(gh[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(gh[20..], 1); // LINKTYPE_ETHERNET
        fs.Write(gh);
        uint ts = 1;
        Span<byte> rh = stackalloc byte[16];
        foreach (var f in frames)
        {
            // The second judge, on every frame tshark is to read: PacketDotNet reads it as our parser does, checksums good.
            PacketJudge.AssertValid(f, $"{path} frame {ts - 1}");
            rh.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(rh, ts++);
            BinaryPrimitives.WriteUInt32LittleEndian(rh[8..], (uint)f.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(rh[12..], (uint)f.Length);
            fs.Write(rh);
            fs.Write(f);
        }
    }

    /// <summary>One line per frame: the requested fields, tab-separated, checksum validation on.</summary>
    public static string[] Fields(string tshark, string pcap, params string[] fields)
    {
        var args = "-r " + pcap
            + " -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -T fields"
            + string.Concat(fields.Select(f => " -e " + f));
        return Run(tshark, args).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}

/// <summary>A fact that is skipped, with the reason, when tshark is absent and cannot be installed.</summary>
internal sealed class TsharkFactAttribute : FactAttribute
{
    public TsharkFactAttribute()
    {
        if (TsharkJudge.Find() is null)
            Skip = "tshark is not installed and `apt-get install -y tshark` failed (needs root and network)";
    }
}
