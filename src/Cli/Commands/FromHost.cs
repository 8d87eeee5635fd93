using Datapath.Antrea;
using Datapath.Cli.Output;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `--from-host` of trace and replay: packets a local process on the node sends, handed to the node's stack
/// (Journey.RunLocal: ip_local_out) instead of entering a bridge port. What both commands check, and the packet
/// trace builds from a FLOW given as the process sends it.
/// </summary>
internal static class FromHost
{
    /// <summary>The source port a FLOW without tp_src gets: an ephemeral port as a socket's connect picks one (fixed, so traces repeat).</summary>
    public const ushort EphemeralPort = 40000;

    /// <summary>Whether <paramref name="node"/> has a host stack behind its gateway; else one line on stderr.</summary>
    public static bool HasHost(AntreaScenario scenario, string node, TextWriter stderr, out int code)
    {
        code = ExitCodes.Ok;
        if (ScenarioHosts.TryConfig(scenario, node, 1, out _))
            return true;
        code = CliError.BadInput(stderr, $"--from-host: node {node} has no host stack (cluster.yaml gives it no gateway address)");
        return false;
    }

    /// <summary>
    /// The packet of <paramref name="flowText"/> as the process sends it: IPv4, nw_dst required; nw_src optional (0:
    /// routing chooses it, as `ip route get` shows), tp_src optional (<see cref="EphemeralPort"/>, said on stderr),
    /// dl_* ignored (the host writes the L2 header). Null, with one line on stderr, when it is not such a packet.
    /// </summary>
    public static byte[]? BuildFrame(string flowText, TextWriter stderr, out int code)
    {
        code = ExitCodes.Ok;
        FlowKey key, mask;
        try
        {
            key = FlowText.ParseKey(flowText, null, out mask);
        }
        catch (InputException e)
        {
            code = CliError.Located(stderr, e);
            return null;
        }
        string? why = mask.InPort != 0 ? "FLOW gives in_port; a packet the node's stack sends enters no port (drop in_port=)"
            : !key.IsIpv4 ? "FLOW must be an IPv4 packet (ip, tcp, udp or icmp with nw_dst=...): the host stack sends IPv4"
            : mask.NwDst == 0 ? "FLOW needs nw_dst= (where the process sends the packet)"
            : null;
        if (why is not null)
        {
            code = CliError.BadInput(stderr, $"--from-host: {why}");
            return null;
        }
        if (key.NwProto is IpProtocols.Tcp or IpProtocols.Udp && mask.TpSrc == 0)
        {
            key.TpSrc = EphemeralPort;
            stderr.WriteLine($"note: tp_src={EphemeralPort}: FLOW gives no tp_src, so the ephemeral port a socket would get (give tp_src= to choose)");
        }
        return FlowText.BuildFrame(in key);
    }
}
