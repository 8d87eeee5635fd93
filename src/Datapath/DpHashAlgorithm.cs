namespace Datapath.Engine;

/// <summary>The datapath's hash(...) algorithms a dp_hash select group asks for (OVS_HASH_ALG_*).</summary>
public enum DpHashAlgorithm
{
    /// <summary>OVS_HASH_ALG_L4 (0): flow_hash_5tuple, one direction.</summary>
    L4 = 0,
    /// <summary>OVS_HASH_ALG_SYM_L4 (1): flow_hash_symmetric_l3l4, the same both ways.</summary>
    SymmetricL4 = 1,
}
