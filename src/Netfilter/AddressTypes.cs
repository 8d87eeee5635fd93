namespace Datapath.Netfilter;

/// <summary>Address types of <c>-m addrtype</c> (the kernel's RTN_* as bits, XT_ADDRTYPE_*).</summary>
[Flags]
public enum AddressTypes : ushort
{
    None = 0,
    Unspec = 1 << 0,
    Unicast = 1 << 1,
    Local = 1 << 2,
    Broadcast = 1 << 3,
    Anycast = 1 << 4,
    Multicast = 1 << 5,
    Blackhole = 1 << 6,
    Unreachable = 1 << 7,
    Prohibit = 1 << 8,
    Throw = 1 << 9,
    Nat = 1 << 10,
    XResolve = 1 << 11,
}
