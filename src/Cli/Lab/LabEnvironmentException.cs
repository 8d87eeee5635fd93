namespace Datapath.Cli.Lab;

/// <summary>
/// `lab up` could not build the lab: an environment problem (a command failed, a process died, a
/// namespace is taken), exit code 2. Never bad input: lab up reads no file of the user's (its lab is
/// the embedded seed, its lab.yaml written by itself), so a located error has no place here; the
/// user's lab files go through <c>datapath run</c>, whose errors are <see cref="Packets.InputException"/>.
/// </summary>
internal sealed class LabEnvironmentException : Exception
{
    public LabEnvironmentException(string message) : base(message) { }

    public LabEnvironmentException() : this("the lab could not be built") { }

    public LabEnvironmentException(string message, Exception innerException) : base(message, innerException) { }
}
