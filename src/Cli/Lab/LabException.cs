namespace Datapath.Cli.Lab;

/// <summary>`lab up` could not build the lab (an environment problem: a command failed, a process died).</summary>
internal sealed class LabException : Exception
{
    public LabException(string message) : base(message) { }

    public LabException() : this("the lab could not be built") { }

    public LabException(string message, Exception innerException) : base(message, innerException) { }

    public int ExitCode => ExitCodes.Environment;
}
