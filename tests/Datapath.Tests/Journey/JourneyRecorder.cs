namespace Datapath.Engine.Tests;

/// <summary>A journey's exit as a test keeps it: node, port (or host device) and a copy of the frame.</summary>
internal sealed record RecordedExit(string Node, string Port, uint OfPort, byte[] Frame)
{
    public override string ToString() => $"{Node}/{Port}: {Frame.Length} bytes";
}

/// <summary>Keeps a copy of everything a journey reports, so a test can look at it afterwards.</summary>
internal sealed class JourneyRecorder : IJourneySink
{
    public List<RecordedExit> Outputs { get; } = [];
    public List<RecordedExit> Transits { get; } = [];
    public List<JourneyDrop> Drops { get; } = [];
    public List<byte[]> Delivered { get; } = [];

    public IEnumerable<RecordedExit> OutputsOn(string node, string port) => Outputs.Where(o => o.Node == node && o.Port == port);

    /// <summary>The drops as reports name them: (node, where, reason).</summary>
    public IEnumerable<(string Node, string Where, string Reason)> DropNames => Drops.Select(d => (d.Node.Name, d.Where, d.ReasonName));

    public void Clear()
    {
        Outputs.Clear();
        Answers.Clear();
        Transits.Clear();
        Drops.Clear();
        Delivered.Clear();
    }

    public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame) => Outputs.Add(new RecordedExit(exit.Node.Name, exit.Name, exit.OfPort, frame.ToArray()));

    public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame) => Transits.Add(new RecordedExit(via.Node.Name, via.Name, via.OfPort, frame.ToArray()));

    public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame) => Delivered.Add(frame.ToArray());

    public void Drop(in JourneyDrop drop) => Drops.Add(drop);

    /// <summary>What pod stacks answered at their ports (ARP replies), in order.</summary>
    public List<RecordedExit> Answers { get; } = [];

    public void Answer(in JourneyExit exit, ReadOnlySpan<byte> frame) => Answers.Add(new RecordedExit(exit.Node.Name, exit.Name, exit.OfPort, frame.ToArray()));

    /// <summary>The outputs that are not ARP (the traffic itself, without the neighbour resolution beside it).</summary>
    public IEnumerable<RecordedExit> IpOutputs => Outputs.Where(o => !Host.SeedHosts.IsArp(o.Frame));

    public override string ToString()
        => $"{Outputs.Count} output(s) [{string.Join(", ", Outputs)}], {Drops.Count} drop(s) [{string.Join(", ", Drops)}], {Delivered.Count} delivered";
}
