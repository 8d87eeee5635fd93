namespace Datapath.Engine.Host;

/// <summary>
/// What the host did with one received frame: how many frames it transmitted (the frame forwarded, or the
/// reply it generated: ARP reply, ICMP echo reply, ICMP error), whether it delivered the frame to itself
/// (INPUT: a local socket or the ICMP/ARP code), or why it dropped it. A dropped frame may still cause a
/// transmission (the ICMP error about it). Packets the host generated (replies, errors) may be dropped too
/// (no route or neighbour back): <see cref="GeneratedDrops"/> counts them, <see cref="GeneratedDropReason"/> says
/// why the first was. A frame whose next hop is being resolved waits (<see cref="Queued"/>: neither sent nor dropped
/// yet); it is sent when the ARP reply comes (<see cref="Released"/> counts the waiting frames a call sent), or dropped
/// when the neighbour fails (IHostSink.Dropped reports it then).
/// </summary>
public readonly record struct HostVerdict(int Transmitted, bool Delivered, DropReason? DropReason,
    int GeneratedDrops = 0, DropReason? GeneratedDropReason = null, bool Queued = false, int Released = 0)
{
    public bool Dropped => DropReason is not null;

    public override string ToString()
        => DropReason is { } r ? $"drop: {DropReasonNames.Name(r)}{(Transmitted > 0 ? $" ({Transmitted} sent)" : "")}"
            : Queued ? $"waiting for a neighbour{(Transmitted > 0 ? $" ({Transmitted} sent)" : "")}"
            : Delivered ? $"delivered locally{(Transmitted > 0 ? $", {Transmitted} sent" : "")}"
            : $"{Transmitted} sent";
}
