namespace Datapath.Tests.Shared;

/// <summary>What <see cref="PacketJudge"/> read of one frame: a one-line header summary and every problem it found.</summary>
internal sealed record PacketVerdict(string Summary, IReadOnlyList<string> Problems)
{
    public bool Valid => Problems.Count == 0;
}
