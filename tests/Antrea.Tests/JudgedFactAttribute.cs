namespace Datapath.Antrea.Tests;

/// <summary>A fact judged by a real tool (<see cref="LinuxJudge"/>, <see cref="OvsdbJudge"/>, <see cref="OvsSwitchJudge"/>); skipped, with the judge's reason, only where it cannot run.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class JudgedFactAttribute : FactAttribute
{
    public JudgedFactAttribute(string judge)
    {
        if (SkipReason(judge) is { } skip)
            Skip = skip;
    }

    /// <summary>Why <paramref name="judge"/> cannot run here, or null.</summary>
    internal static string? SkipReason(string judge) => judge switch
    {
        nameof(LinuxJudge) => LinuxJudge.SkipReason,
        nameof(OvsdbJudge) => OvsdbJudge.SkipReason,
        nameof(OvsSwitchJudge) => OvsSwitchJudge.SkipReason,
        _ => throw new ArgumentException($"no judge {judge}", nameof(judge)),
    };
}
