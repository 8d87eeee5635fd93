using System.CommandLine;
using Datapath.Cli.Output;
using Datapath.Io.Live;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath list-devices [--json]`: the interfaces libpcap sees (pcap_findalldevs through
/// SharpPcap), which are the names a lab file's `pcap:IF` (and `afpacket:IF`) binds: one line per
/// interface with its flags (up, running, loopback, ...), MAC, addresses and libpcap's description,
/// or with `--json` one JSON object per interface. libpcap missing is the environment's problem
/// (exit 2, with the command that installs it).
/// </summary>
internal sealed class ListDevicesCommand : ICliCommand
{
    public int Order => 73;

    public Command Create()
    {
        var json = new Option<bool>("--json") { Description = "One JSON object per interface (JSON lines): name, description, mac, addresses, flags" };
        var command = new Command("list-devices", "List the interfaces libpcap sees (what pcap:IF and afpacket:IF in a lab file can bind)") { json };
        command.SetAction(parse => Run(parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Prints the list to <paramref name="stdout"/>; returns the exit code.</summary>
    internal static int Run(bool json, TextWriter stdout, TextWriter stderr)
    {
        IReadOnlyList<PcapDeviceInfo> devices;
        try
        {
            devices = PcapDevices.List();
        }
        catch (LiveIoException e)
        {
            return CliError.Environment(stderr, e.Message);
        }

        if (json)
        {
            using var output = new JsonOutput(stdout);
            foreach (var d in devices)
            {
                output.WriteLine(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("name", d.Name);
                    w.WriteString("description", d.Description);
                    if (d.Mac is { } mac)
                        w.WriteString("mac", mac);
                    else
                        w.WriteNull("mac");
                    w.WriteStartArray("addresses");
                    foreach (string a in d.Addresses)
                        w.WriteStringValue(a);
                    w.WriteEndArray();
                    w.WriteStartArray("flags");
                    foreach (string f in d.Flags)
                        w.WriteStringValue(f);
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            }
            return ExitCodes.Ok;
        }

        int width = devices.Count == 0 ? 4 : Math.Max(4, devices.Max(d => d.Name.Length));
        foreach (var d in devices)
        {
            string flags = d.Flags.Count == 0 ? "-" : string.Join(',', d.Flags);
            string addresses = d.Addresses.Count == 0 ? "" : " " + string.Join(' ', d.Addresses);
            string mac = d.Mac is { } m ? " " + m : "";
            string description = d.Description.Length == 0 ? "" : $" ({d.Description})";
            stdout.WriteLine($"{d.Name.PadRight(width)}  {flags}{mac}{addresses}{description}");
        }
        if (devices.Count == 0)
            stdout.WriteLine("libpcap sees no interfaces (live capture needs root or CAP_NET_RAW)");
        return ExitCodes.Ok;
    }
}
