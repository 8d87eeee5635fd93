namespace Datapath.Antrea.Tests;

/// <summary>A theory judged by a real tool, as <see cref="JudgedFactAttribute"/>: skipped, with the judge's reason, only where it cannot run.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class JudgedTheoryAttribute : TheoryAttribute
{
    public JudgedTheoryAttribute(string judge) => Skip = JudgedFactAttribute.SkipReason(judge);
}
