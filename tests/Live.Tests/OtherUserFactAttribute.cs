namespace Datapath.Live.Tests;

/// <summary>A fact that acts as another user (nobody, via setpriv): skipped, with the reason, where the machine cannot.</summary>
public sealed class OtherUserFactAttribute : FactAttribute
{
    public OtherUserFactAttribute()
    {
        if (Environment.UserName != "root")
            Skip = "acting as another user needs root";
        else if (!File.Exists("/usr/bin/setpriv") || !File.Exists("/usr/bin/python3"))
            Skip = "acting as another user needs /usr/bin/setpriv (util-linux) and /usr/bin/python3";
    }
}
