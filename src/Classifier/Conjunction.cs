namespace Datapath.Classifier;

/// <summary>
/// One <c>conjunction(id, k/n)</c> action: this flow is clause <see cref="Clause"/> (1-based k) of
/// the <see cref="ClauseCount"/> (n) dimensions of conjunctive flow <see cref="Id"/>
/// (ovs-fields(7) "Conjunctive Match Fields").
/// </summary>
public readonly record struct Conjunction(uint Id, byte Clause, byte ClauseCount)
{
    public override string ToString() => $"conjunction({Id},{Clause}/{ClauseCount})";
}
