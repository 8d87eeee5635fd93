using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>output:PORT</c>, <c>output:FIELD[range]</c>, or a bare port (<c>IN_PORT</c>, <c>NORMAL</c>, <c>LOCAL</c>, <c>2</c>).
/// Reserved ports keep OVS's meaning: IN_PORT sends back out of the ingress port, NORMAL runs
/// the MAC-learning switch, FLOOD/ALL send to every port but the ingress.
/// </summary>
public sealed class OutputAction : FlowAction
{
    /// <summary>Output to a fixed port (physical or reserved).</summary>
    public OutputAction(uint port, string? portText = null, bool bare = false) : base(ActionKind.Output)
    {
        Port = port;
        PortText = portText;
        Bare = bare;
    }

    /// <summary>Output to the port number held in a field (<c>output:NXM_NX_REG1[]</c>).</summary>
    public OutputAction(FieldRef source) : base(ActionKind.Output)
    {
        Source = source;
        Port = OpenFlowPorts.None;
        SourceBits = KeyBits.For(source);
    }

    /// <summary><see cref="Source"/> compiled at load (unset when it is not one integer, or absent).</summary>
    internal KeyBits SourceBits { get; }

    /// <summary>The port when <see cref="Source"/> is null.</summary>
    public uint Port { get; }
    public FieldRef? Source { get; }
    /// <summary>The port as written (a name, a number, a reserved name).</summary>
    public string? PortText { get; }
    /// <summary>Written without the <c>output:</c> keyword.</summary>
    public bool Bare { get; }

    /// <summary><c>output(port=P,max_len=N)</c>: the copy sent is cut to its first N bytes (OVS's output_trunc); 0: whole.</summary>
    public uint MaxLength { get; init; }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        if (MaxLength != 0)
        {
            sb.Append("output(port=").Append(OpenFlowPorts.ReservedName(Port) ?? FieldSyntax.FormatPort(Port, ports))
                .Append(",max_len=").Append(MaxLength.ToString(CultureInfo.InvariantCulture)).Append(')');
            return;
        }
        if (Source is { } src)
        {
            sb.Append("output:");
            src.Format(sb);
            return;
        }
        // As ovs-ofctl prints it (ofpact_format_OUTPUT), whatever was written: a reserved port bare by its name
        // (IN_PORT, LOCAL), any other as output: with its name when names are shown, else its number.
        if (OpenFlowPorts.ReservedName(Port) is { } reserved)
            sb.Append(reserved);
        else if (Port == 0 && PortText is not null)
            sb.Append(Bare ? "" : "output:").Append(PortText);
        else
            sb.Append("output:").Append(FieldSyntax.FormatPort(Port, ports));
    }
}
