namespace Datapath.Packets;

/// <summary>The TCP flag bits as OVS's tcp_flags field holds them (the low 12 bits of the TCP offset/flags word).</summary>
[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x001,
    Syn = 0x002,
    Rst = 0x004,
    Psh = 0x008,
    Ack = 0x010,
    Urg = 0x020,
    Ece = 0x040,
    Cwr = 0x080,
    Ns = 0x100,
}
