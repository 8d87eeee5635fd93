namespace Datapath.Io.Live;

/// <summary>What a <see cref="LiveIoException"/> blames, which decides the CLI's exit code.</summary>
public enum LiveIoErrorKind
{
    /// <summary>The machine: missing privilege, missing interface or device, missing libpcap (exit code 2).</summary>
    Environment,

    /// <summary>The user's input: a bad interface name, a BPF filter that does not compile (exit code 1).</summary>
    Input,
}
