namespace Datapath.Cli.Demo;

/// <summary>
/// One packet of the demo: where it enters (a bridge port or host device of <see cref="Node"/>, or, with
/// <see cref="FromHost"/>, the node's own stack), what it is, and why it is shown. <see cref="Reply"/>, when set,
/// builds the frame from the first frame the phase <see cref="ReplyTo"/> delivered out of the cluster (an answer to it).
/// </summary>
internal sealed record DemoPhase(string Title, string Node, string InPort, string Description, Func<byte[]> Frame)
{
    /// <summary>The node's stack sends the frame (ip_local_out); <see cref="InPort"/> then names no port.</summary>
    public bool FromHost { get; init; }
    /// <summary>The index of the earlier phase whose first output this phase answers (with <see cref="Reply"/>), or -1.</summary>
    public int ReplyTo { get; init; } = -1;
    public Func<byte[], byte[]>? Reply { get; init; }
}
