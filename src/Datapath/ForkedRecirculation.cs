using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// A copy of the packet that a ct(table=N) inside clone(...) sent through conntrack to resume at <see cref="Table"/>
/// once the packet's own pass is over (OVS's datapath clone(ct(...),recirc(id)): the original goes on with the actions
/// after the clone, the copy recirculates). The buffer is reused packet after packet (XlateContext.Forks).
/// </summary>
internal sealed class ForkedRecirculation
{
    /// <summary>The copy's bytes: the first <see cref="Length"/> of them, as conntrack left them (NAT included).</summary>
    public byte[] Frame = [];
    public int Length;
    /// <summary>The copy's key after conntrack: ct_* filled in, recirc_id set.</summary>
    public FlowKey Key;
    public byte Table;
}
