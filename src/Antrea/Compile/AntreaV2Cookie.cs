namespace Datapath.Antrea.Compile;

/// <summary>Antrea 2.x's cookie categories (pkg/agent/openflow/cookie): which feature installed a flow.</summary>
internal enum AntreaV2Cookie
{
    Default = 0,
    PodConnectivity = 1,
    NetworkPolicy = 2,
    Service = 3,
    Egress = 4,
}
