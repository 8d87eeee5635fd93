namespace Datapath.Antrea.Import;

/// <summary>A device of <c>ip addr</c> / <c>ip link</c>: its name, MAC (null for none), MTU and IPv4 addresses with their prefix lengths.</summary>
public sealed class HostInterfaceDump
{
    public HostInterfaceDump(string name) => Name = name;

    public string Name { get; }
    public string? Mac { get; set; }
    public int Mtu { get; set; }
    public List<string> Addresses { get; } = [];
}
