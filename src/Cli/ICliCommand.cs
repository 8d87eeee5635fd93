using System.CommandLine;

namespace Datapath.Cli;

/// <summary>
/// One top-level `datapath` subcommand. Every implementation in this assembly is found and added
/// by <see cref="CommandLine"/>, so commands live in their own files under Commands/.
/// </summary>
internal interface ICliCommand
{
    /// <summary>Position in `datapath --help` (smaller first).</summary>
    int Order { get; }

    Command Create();
}
