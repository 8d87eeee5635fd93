using System.CommandLine;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;
using Datapath.Engine;

namespace Datapath.Cli.Commands;

/// <summary>
/// A command that prints one ovs-ofctl reply for a scenario's node as loaded (`datapath show|dump-tables|
/// dump-groups|dump-group-stats [--scenario DIR] --node N`): statistics are those of a bridge no frame has crossed yet — a
/// replay prints them afterwards with its --dump-* options, a live node with `ctl`. With --json:
/// <c>{"node": N, "KEY": [lines]}</c> (docs/json.md).
/// </summary>
internal abstract class NodeReplyCommand : ICliCommand
{
    public abstract int Order { get; }
    protected abstract string Name { get; }
    protected abstract string Description { get; }
    /// <summary>The JSON key of the lines.</summary>
    protected abstract string Key { get; }
    /// <summary>Whether each line is printed after OVS's leading space (as dump-flows and dump-groups lines are).</summary>
    protected virtual bool Indented => false;

    /// <summary>Arguments the command adds (read back in <see cref="Reply"/>).</summary>
    protected virtual IEnumerable<Argument> Arguments => [];

    /// <summary>Options the command adds besides the scenario's (read back in <see cref="Reply"/>).</summary>
    protected virtual IEnumerable<Option> Options => [];

    /// <summary>The reply's lines, or null after writing an error to <paramref name="stderr"/>.</summary>
    protected abstract IEnumerable<string>? Reply(ParseResult parse, Node node, TextWriter stderr);

    /// <summary>The reply under <see cref="Key"/> in the JSON document: by default its lines as printed.</summary>
    protected virtual void WriteJson(System.Text.Json.Utf8JsonWriter w, Node node, IEnumerable<string> lines)
    {
        w.WriteStartArray(Key);
        foreach (string line in lines)
            w.WriteStringValue(line);
        w.WriteEndArray();
    }

    public Command Create()
    {
        var args = new ScenarioArguments();
        var command = new Command(Name, Description);
        foreach (var a in Arguments)
            command.Arguments.Add(a);
        foreach (var o in Options)
            command.Options.Add(o);
        args.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            var node = ScenarioArguments.FindNode(scenario, parse.GetValue(args.Node)!, stderr, out code);
            if (node is null)
                return code;
            var lines = Reply(parse, node, stderr);
            if (lines is null)
                return ExitCodes.BadInput;
            if (Indented)
                DumpLines.Write(stdout, parse.GetValue(args.Json), node.Name, Key, lines);
            else if (parse.GetValue(args.Json))
                JsonOutput.WriteDocument(stdout, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("node", node.Name);
                    WriteJson(w, node, lines);
                    w.WriteEndObject();
                });
            else
                foreach (string line in lines)
                    stdout.WriteLine(line);
            return ExitCodes.Ok;
        });
        return command;
    }
}
