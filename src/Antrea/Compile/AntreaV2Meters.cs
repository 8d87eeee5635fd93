using System.Globalization;
using System.Text;

namespace Datapath.Antrea.Compile;

/// <summary>
/// The Antrea 2.x agent's PacketIn meters (256 NetworkPolicy, 257 Traceflow, 258 DNS/other packet-ins) as
/// <c>ovs-ofctl -O OpenFlow13 dump-meters br-int</c> prints them: pktps drop bands at the agent's packetInRate
/// (5000 by default), burst twice the rate.
/// </summary>
public static class AntreaV2Meters
{
    public const int DefaultPacketInRate = 5000;

    public static string Text(int packetInRate = DefaultPacketInRate)
    {
        var text = new StringBuilder();
        foreach (int meter in new[] { 256, 257, 258 })
            text.Append(CultureInfo.InvariantCulture, $"meter={meter},pktps,burst,bands=type=drop,rate={packetInRate},burst_size={2 * packetInRate}\n");
        return text.ToString();
    }
}
