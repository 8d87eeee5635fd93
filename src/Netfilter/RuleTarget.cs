namespace Datapath.Netfilter;

/// <summary>
/// The target of a rule (<c>-j</c>/<c>-g</c>) with its options. One sealed class switched on
/// <see cref="Kind"/> rather than a virtual call per packet.
/// </summary>
public sealed class RuleTarget
{
    internal RuleTarget(TargetKind kind, string name)
    {
        Kind = kind;
        Name = name;
        TraceVerdict = kind switch
        {
            TargetKind.None => "CONTINUE",
            _ => name,
        };
    }

    public TargetKind Kind { get; }

    /// <summary>The name after <c>-j</c> (a chain name for jumps).</summary>
    public string Name { get; }

    /// <summary>The chain of a jump or goto, resolved at COMMIT.</summary>
    public Chain? Chain { get; internal set; }

    public RejectWith RejectWith { get; internal set; } = RejectWith.IcmpPortUnreachable;

    /// <summary>MARK as the kernel stores it: mark = (mark &amp; ~MarkMask) ^ MarkValue.</summary>
    public uint MarkValue { get; internal set; }

    public uint MarkMask { get; internal set; }

    public NatRange NatRange { get; internal set; }

    public string? LogPrefix { get; internal set; }

    /// <summary>LOG --log-level as the kernel stores it (0-7; 4, warning, by default).</summary>
    public byte LogLevel { get; internal set; } = 4;

    /// <summary>LOG's XT_LOG_* flags (--log-tcp-sequence 0x01, --log-tcp-options 0x02, --log-ip-options 0x04,
    /// --log-uid 0x08, --log-macdecode 0x20).</summary>
    public byte LogFlags { get; internal set; }

    /// <summary>The verdict text trace steps show, precomputed: <c>JUMP:KUBE-SVC-…</c>, <c>DNAT:10.0.0.1:80</c>.</summary>
    public string TraceVerdict { get; internal set; }
}
