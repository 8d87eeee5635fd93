namespace Datapath.Classifier;

/// <summary>The actions of a rule: opaque to the classifier, implemented by the engine.</summary>
public interface IFlowActions
{
    /// <summary>The actions as <c>ovs-ofctl dump-flows</c> prints them (without <c>actions=</c>).</summary>
    string Format(IPortMap? ports);

    /// <summary>
    /// The (table, cookie) of each <c>learn(...,delete_learned,...)</c> among the actions: while no rule holds one
    /// any more, the flows in that table with that cookie are deleted (OVS's learned_cookies).
    /// </summary>
    IReadOnlyList<(byte Table, ulong Cookie)> DeleteLearned => [];
}
