namespace Datapath.Packets;

/// <summary>ct_state bits as ovs-fields(7) numbers them.</summary>
[Flags]
public enum CtStateFlags : uint
{
    None = 0,
    New = 0x01,
    Established = 0x02,
    Related = 0x04,
    Reply = 0x08,
    Invalid = 0x10,
    Tracked = 0x20,
    SrcNat = 0x40,
    DstNat = 0x80,
}
