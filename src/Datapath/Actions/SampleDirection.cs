namespace Datapath.Engine.Actions;

/// <summary>sample's <c>ingress</c>/<c>egress</c> flag (OVS's <c>enum nx_action_sample_direction</c>).</summary>
public enum SampleDirection
{
    /// <summary>Neither flag: OVS decides by the sampling port.</summary>
    Default,
    Ingress,
    Egress,
}
