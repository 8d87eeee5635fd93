namespace Datapath.Packets;

/// <summary>One TCP option: its kind and the bytes after the kind and length octets.</summary>
public readonly ref struct TcpOption
{
    public TcpOption(byte kind, ReadOnlySpan<byte> data)
    {
        Kind = kind;
        Data = data;
    }

    public byte Kind { get; }
    /// <summary>The option's data (empty for EOL and NOP, which have no length octet).</summary>
    public ReadOnlySpan<byte> Data { get; }
}
