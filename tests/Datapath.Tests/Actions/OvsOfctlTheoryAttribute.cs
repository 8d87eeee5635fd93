namespace Datapath.Engine.Tests.Actions;

/// <summary>A theory that is skipped, saying why, when ovs-ofctl is not installed.</summary>
internal sealed class OvsOfctlTheoryAttribute : TheoryAttribute
{
    public OvsOfctlTheoryAttribute()
    {
        if (OvsOfctl.Path is null)
            Skip = OvsOfctl.MissingReason;
    }
}
