namespace Datapath.Io.Capture;

/// <summary>File-opening helpers shared by the readers and writers.</summary>
internal static class CaptureFiles
{
    /// <summary>A read stream without its own buffer (the readers keep one) hinted for sequential access.</summary>
    public static FileStream OpenRead(string path)
        => new(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        });

    /// <summary>A write stream without its own buffer (the writers keep one).</summary>
    public static FileStream Create(string path)
        => new(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 0,
        });
}
