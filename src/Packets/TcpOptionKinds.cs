namespace Datapath.Packets;

/// <summary>TCP option kinds (IANA "TCP Option Kind Numbers").</summary>
public static class TcpOptionKinds
{
    public const byte EndOfList = 0;
    public const byte Nop = 1;
    public const byte Mss = 2;
    public const byte WindowScale = 3;
    public const byte SackPermitted = 4;
    public const byte Sack = 5;
    public const byte Timestamps = 8;
}
