using Datapath.Packets;

namespace Datapath.Io.Capture;

/// <summary>
/// Opens a capture file as pcap or pcapng by its first four bytes (not by its name). The stream is
/// read forward only, so a pipe works (<c>/dev/stdin</c>, <c>&lt;(cat f.pcap)</c>).
/// </summary>
public static class PacketFileReader
{
    /// <summary>Opens <paramref name="path"/> for streaming (a regular file, a FIFO or a /dev/fd path).</summary>
    /// <exception cref="InputException">The file is missing, a directory, neither pcap nor pcapng, or its header is corrupt.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read (the environment's problem, not the input's).</exception>
    public static IFrameReader Open(string path)
    {
        if (Directory.Exists(path))
            throw InputException.InFile(path, "is a directory, not a pcap or pcapng file");
        FileStream stream;
        try
        {
            stream = CaptureFiles.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw InputException.InFile(path, "no such file");
        }
        return Open(stream, path);
    }

    /// <summary>Opens a stream positioned at the start of a capture (seekable or not); the reader owns the stream.</summary>
    public static IFrameReader Open(Stream stream, string fileName)
    {
        var buffer = new CaptureReadBuffer(stream, leaveOpen: false);
        try
        {
            bool whole = buffer.Ensure(4);
            ReadOnlySpan<byte> magic = buffer.Span;
            if (whole)
            {
                uint le = ByteOrder.U32(magic, bigEndian: false);
                uint be = ByteOrder.U32(magic, bigEndian: true);
                if (le == PcapngFormat.SectionHeaderBlock)
                    return new PcapngReader(buffer, fileName);
                if (le is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds || be is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds)
                    return new PcapReader(buffer, fileName);
                throw InputException.AtOffset(fileName, 0, $"not a pcap or pcapng file: magic 0x{be:x8}");
            }
            throw InputException.AtOffset(fileName, 0, magic.Length == 0
                ? "empty file: not a pcap or pcapng file"
                : $"truncated file header: {magic.Length} bytes is too short for a pcap or pcapng file");
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
