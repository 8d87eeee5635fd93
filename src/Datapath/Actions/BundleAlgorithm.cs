namespace Datapath.Engine.Actions;

/// <summary>How bundle picks a member (OVS's <c>enum nx_bd_algorithm</c>).</summary>
public enum BundleAlgorithm
{
    /// <summary><c>active_backup</c>: the first live member, in the order listed.</summary>
    ActiveBackup,
    /// <summary><c>hrw</c>: highest random weight, <c>hash_2words(index, flow hash)</c> over the live members.</summary>
    Hrw,
}
