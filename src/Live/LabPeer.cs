using System.Net;

namespace Datapath.Live;

/// <summary>A peer node's underlay address: <c>worker2: 127.0.0.12:6081</c> (by node name) or <c>10.79.1.202: 127.0.0.12</c> (by node IP).</summary>
internal sealed record LabPeer(string NodeOrIp, IPEndPoint Endpoint, int Line, int Column);
