namespace Datapath.Engine.Actions;

/// <summary>How multipath maps a flow hash onto a link number (OVS's <c>enum nx_mp_algorithm</c>, lib/multipath.c).</summary>
public enum MultipathAlgorithm
{
    /// <summary><c>modulo_n</c>: hash % n_links.</summary>
    ModuloN,
    /// <summary><c>hash_threshold</c>: hash / (UINT32_MAX / n_links + 1).</summary>
    HashThreshold,
    /// <summary><c>hrw</c>: highest random weight over <c>hash_2words(hash, link)</c> (iter_hash above 64 links).</summary>
    Hrw,
    /// <summary><c>iter_hash</c>: <c>hash_2words(hash, i++) % modulo</c> until below n_links.</summary>
    IterHash,
}
