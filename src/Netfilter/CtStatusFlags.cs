namespace Datapath.Netfilter;

/// <summary>The conntrack status bits that <c>-m conntrack --ctstatus</c> matches (IPS_* in the kernel).</summary>
[Flags]
public enum CtStatusFlags : uint
{
    None = 0,
    Expected = 1 << 0,
    SeenReply = 1 << 1,
    Assured = 1 << 2,
    Confirmed = 1 << 3,
}
