namespace Datapath.Engine.Tests.Actions;

/// <summary>A fact that is skipped, saying why, when ovs-ofctl is not installed.</summary>
internal sealed class OvsOfctlFactAttribute : FactAttribute
{
    public OvsOfctlFactAttribute()
    {
        if (OvsOfctl.Path is null)
            Skip = OvsOfctl.MissingReason;
    }
}
