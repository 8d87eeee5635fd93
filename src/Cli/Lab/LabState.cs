namespace Datapath.Cli.Lab;

/// <summary>What `datapath lab up` made, written to DIR/lab.state so `lab down` removes exactly that.</summary>
internal sealed class LabState
{
    public List<string> Namespaces { get; set; } = [];

    public List<LabProcess> Workers { get; set; } = [];

    public List<LabProcess> Servers { get; set; } = [];

    /// <summary>The TAPs the workers make for the lab (removed if still in the root namespace).</summary>
    public List<string> Taps { get; set; } = [];

    /// <summary>Files and the directory made (removed last).</summary>
    public List<string> Files { get; set; } = [];

    public bool CreatedDirectory { get; set; }
}

/// <summary>A process the lab started: which node or pod, its pid, its log file, its control socket (workers).</summary>
internal sealed class LabProcess
{
    public string Name { get; set; } = "";

    public int Pid { get; set; }

    public string Log { get; set; } = "";

    public string? Socket { get; set; }

    public string? Namespace { get; set; }
}
