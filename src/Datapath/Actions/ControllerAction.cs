using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>controller</c>, <c>controller:MAX_LEN</c> or <c>controller(key=value,...)</c>: send the packet to the
/// OpenFlow controller. This engine has no controller: the packet is counted as a punt. Parsed with ovs-ofctl's
/// keys and errors (parse_CONTROLLER) and printed as format_CONTROLLER prints it: <c>CONTROLLER:MAX_LEN</c> when only
/// the length is set, else <c>controller(reason=,max_len=,id=,userdata=,pause,meter_id=)</c> with what is set.
/// </summary>
public sealed class ControllerAction : FlowAction
{
    private static readonly string[] s_reasons = ["no_match", "action", "invalid_ttl", "action_set", "group", "packet_out"];

    private ControllerAction() : base(ActionKind.Controller)
    {
    }

    public string Reason { get; private init; } = "action";
    public ushort MaxLength { get; private init; } = ushort.MaxValue;
    public ushort ControllerId { get; private init; }
    public byte[] UserData { get; private init; } = [];
    public bool Pause { get; private init; }
    /// <summary>The controller meter, or null (OVS's NX_CTLR_NO_METER).</summary>
    public uint? MeterId { get; private init; }

    /// <summary>Parses <c>controller</c>, <c>controller:N</c> or <c>controller(ARGS)</c>; <paramref name="arg"/> is null for the bare form.</summary>
    internal static ControllerAction Parse(string? arg, bool parenForm, int offset)
    {
        if (arg is null || arg.Length == 0)
            return new ControllerAction();
        if (!parenForm)
            return new ControllerAction { MaxLength = Number(arg, "max_len", ushort.MaxValue, offset) is var n ? (ushort)n : default };
        string reason = "action";
        ushort maxLen = ushort.MaxValue, id = 0;
        byte[] userdata = [];
        bool pause = false;
        uint? meter = null;
        foreach (var (s, len) in ActionParser.SplitTopLevel(arg, 0, arg.Length))
        {
            string part = arg.Substring(s, len);
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? part : part[..eq], value = eq < 0 ? "" : part[(eq + 1)..];
            int at = offset + s;
            switch (key)
            {
                case "reason":
                    reason = Array.IndexOf(s_reasons, value) >= 0 ? value : throw ActionParser.Error($"unknown reason \"{value}\"", at, "reasons: " + string.Join(", ", s_reasons));
                    break;
                case "max_len":
                    maxLen = (ushort)Number(value, "max_len", ushort.MaxValue, at);
                    break;
                case "id":
                    id = (ushort)Number(value, "id", ushort.MaxValue, at);
                    break;
                case "userdata":
                    userdata = Hex(value, at);
                    break;
                case "pause" when eq < 0:
                    pause = true;
                    break;
                case "meter_id":
                    meter = Number(value, "meter_id", uint.MaxValue, at);
                    break;
                default:
                    throw ActionParser.Error($"unknown key \"{key}\" parsing controller action", at);
            }
        }
        return new ControllerAction { Reason = reason, MaxLength = maxLen, ControllerId = id, UserData = userdata, Pause = pause, MeterId = meter };
    }

    private static uint Number(string text, string key, uint max, int at)
        => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) && v <= max ? v : throw ActionParser.Error($"invalid {key} \"{text}\"", at);

    // ovs-ofctl's parse_hex_bytes: pairs of hex digits, '.' between them allowed.
    private static byte[] Hex(string text, int at)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < text.Length;)
        {
            if (text[i] == '.')
            {
                i++;
                continue;
            }
            if (i + 1 >= text.Length || !byte.TryParse(text.AsSpan(i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                throw ActionParser.Error("bad hex digit in `controller' action `userdata'", at);
            bytes.Add(b);
            i += 2;
        }
        return [.. bytes];
    }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        if (Reason == "action" && ControllerId == 0 && UserData.Length == 0 && !Pause && MeterId is null)
        {
            sb.Append("CONTROLLER:").Append(MaxLength.ToString(CultureInfo.InvariantCulture));
            return;
        }
        var parts = new List<string>();
        if (Reason != "action")
            parts.Add("reason=" + Reason);
        if (MaxLength != ushort.MaxValue)
            parts.Add("max_len=" + MaxLength.ToString(CultureInfo.InvariantCulture));
        if (ControllerId != 0)
            parts.Add("id=" + ControllerId.ToString(CultureInfo.InvariantCulture));
        if (UserData.Length > 0)
            parts.Add("userdata=" + string.Join('.', UserData.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))));
        if (Pause)
            parts.Add("pause");
        if (MeterId is { } m)
            parts.Add("meter_id=" + m.ToString(CultureInfo.InvariantCulture));
        sb.Append("controller(").Append(string.Join(',', parts)).Append(')');
    }
}
