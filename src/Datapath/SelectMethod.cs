namespace Datapath.Engine;

/// <summary>How a select group picks its bucket, as ovs-vswitchd settles it from selection_method and the weights.</summary>
public enum SelectMethod
{
    /// <summary>Highest score over flow_hash_symmetric_l4 (OVS's SEL_METHOD_DEFAULT).</summary>
    Default,
    /// <summary>Highest score over a hash of the group's fields(...) (SEL_METHOD_HASH).</summary>
    Hash,
    /// <summary>A table of hash values indexed by the datapath's dp_hash (SEL_METHOD_DP_HASH).</summary>
    DpHash,
}
