namespace Datapath.Io.Capture;

/// <summary>Opens a capture file as pcap or pcapng by its first four bytes (not by its name).</summary>
public static class PacketFileReader
{
    /// <summary>Opens <paramref name="path"/> for streaming.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CaptureFileException">The file is neither pcap nor pcapng, or its header is corrupt.</exception>
    public static IFrameReader Open(string path)
    {
        FileStream stream = CaptureFiles.OpenRead(path);
        try
        {
            return Open(stream, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a seekable stream positioned at the start of a capture; the reader owns the stream.</summary>
    public static IFrameReader Open(Stream stream, string fileName)
    {
        Span<byte> magic = stackalloc byte[4];
        int n = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        stream.Seek(-n, SeekOrigin.Current);
        if (n == 4)
        {
            uint le = ByteOrder.U32(magic, bigEndian: false);
            uint be = ByteOrder.U32(magic, bigEndian: true);
            if (le == PcapngFormat.SectionHeaderBlock)
                return new PcapngReader(stream, fileName);
            if (le is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds || be is PcapFormat.MagicMicroseconds or PcapFormat.MagicNanoseconds)
                return new PcapReader(stream, fileName);
            throw new CaptureFileException(fileName, 0, $"not a pcap or pcapng file: magic 0x{be:x8}");
        }
        throw new CaptureFileException(fileName, 0, n == 0 ? "empty file: not a pcap or pcapng file" : $"truncated file header: {n} bytes is too short for a pcap or pcapng file");
    }
}
