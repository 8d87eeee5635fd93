namespace Datapath.Io.Capture;

/// <summary>
/// A pcap or pcapng file is truncated or corrupt. Names the file, the byte offset of the fault
/// (for a truncation: the start of the record or block that is cut short) and what is wrong.
/// Readers throw it only when they reach the fault, so every frame before it has been delivered.
/// </summary>
public sealed class CaptureFileException : IOException
{
    public CaptureFileException()
        : this("<capture>", 0, "corrupt capture file")
    {
    }

    public CaptureFileException(string message)
        : this("<capture>", 0, message)
    {
    }

    public CaptureFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        FileName = "<capture>";
        Reason = message;
    }

    public CaptureFileException(string fileName, long offset, string reason)
        : base($"{fileName}: offset {offset}: {reason}")
    {
        FileName = fileName;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The file's path as it was opened (or the stream's name).</summary>
    public string FileName { get; }

    /// <summary>Byte offset from the start of the file where the fault is.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the file name and offset.</summary>
    public string Reason { get; }
}
