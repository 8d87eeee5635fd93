namespace Datapath.Classifier;

/// <summary>
/// One non-zero word of a subtable's mask, with its hash multiplier (<see cref="Subtable.Term"/>):
/// the classifier's plan lists a subtable's in the order of its masked values.
/// </summary>
internal struct HashWord
{
    public ulong Mask;
    public ulong Multiplier;
    public int Word;
}
