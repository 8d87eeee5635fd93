namespace Datapath.Classifier;

/// <summary>The actions of a rule: opaque to the classifier, implemented by the engine.</summary>
public interface IFlowActions
{
    /// <summary>The actions as <c>ovs-ofctl dump-flows</c> prints them (without <c>actions=</c>).</summary>
    string Format(IPortMap? ports);
}
