namespace Datapath.Engine.Host;

/// <summary>
/// A neighbour entry's state, Linux's NUD_* values (include/uapi/linux/neighbour.h), printed as <c>ip neigh</c>
/// prints them (<see cref="NudStates.Name"/>): INCOMPLETE while the first ARP requests wait for an answer, REACHABLE
/// for reachable_time after a confirmation, STALE after that until it is used, DELAY for delay_first_probe_time after a
/// use of a STALE entry, PROBE while unicast requests re-confirm it, FAILED when no answer came; PERMANENT for entries
/// given by hand (<c>ip neigh add ... nud permanent</c>), which ARP never changes.
/// </summary>
public enum NudState : byte
{
    None = 0x00,
    Incomplete = 0x01,
    Reachable = 0x02,
    Stale = 0x04,
    Delay = 0x08,
    Probe = 0x10,
    Failed = 0x20,
    NoArp = 0x40,
    Permanent = 0x80,
}
