namespace Datapath.Cli.Demo;

/// <summary>One packet of the demo: where it enters, what it is, and why it is shown.</summary>
internal sealed record DemoPhase(string Title, string Node, string InPort, string Description, Func<byte[]> Frame);
