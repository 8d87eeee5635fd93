using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Datapath.Packets;

namespace Datapath.Cli;

/// <summary>
/// Tells command-line mistakes in a user's words, as iptables and ovs-ofctl do: one <c>error:</c> line per
/// mistake on stderr, a <c>hint:</c> with the closest command or option when one is a likely typo and the
/// command whose <c>--help</c> lists the rest, and exit code 1. System.CommandLine's own messages name .NET
/// types (<c>'System.Nullable`1[System.Int32]'</c>) and report an unknown option as whatever it made of
/// the tokens after it, so they are rewritten here, in one place, for every command.
///
/// <para>An unknown option is found before System.CommandLine's errors are read: a token that looks like
/// an option (<c>-x</c>, <c>--x</c>; not a negative number, not <c>-</c> for stdin) and is neither a known
/// option nor the value of the option before it. When there is one, it is the only mistake reported: the
/// errors after it (a value taken for the input file, an argument left over) are its consequences.</para>
/// </summary>
internal static partial class CommandLineMistakes
{
    /// <summary>Writes the mistakes of <paramref name="parse"/> (which has errors) and returns the exit code.</summary>
    public static int Report(ParseResult parse, TextWriter stderr)
    {
        Command command = parse.CommandResult.Command;
        string commandPath = CommandPath(parse.CommandResult);
        var options = OptionsOf(parse.CommandResult);

        var unknown = UnknownOptions(parse, options);
        if (unknown.Count > 0)
        {
            foreach (string u in unknown)
            {
                string? closest = DidYouMean.Closest(u, options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith('-')));
                stderr.WriteLine($"error: {commandPath}: unknown option '{u}'");
                if (closest is not null)
                    stderr.WriteLine($"hint: did you mean '{closest}'?");
            }
            WriteHelpHint(stderr, commandPath);
            return ExitCodes.BadInput;
        }

        bool unknownCommand = false;
        // What the user typed wrong first, what is missing after it.
        foreach (ParseError error in parse.Errors.OrderBy(e => MissingArgument().IsMatch(e.Message) || RequiredOption().IsMatch(e.Message) ? 1 : 0))
        {
            string message = error.Message;
            if (NotMatched().IsMatch(message))
                continue;
            Match m;
            if ((m = CannotParse().Match(message)).Success)
            {
                string symbol = m.Groups["symbol"].Value;
                stderr.WriteLine($"error: {commandPath}: {Name(symbol, m.Groups["kind"].Value)}: '{m.Groups["value"].Value}' is not {TypeInWords(m.Groups["type"].Value)}");
            }
            else if ((m = Unrecognized().Match(message)).Success)
            {
                string token = m.Groups["token"].Value;
                if (parse.CommandResult.Parent is null)
                {
                    unknownCommand = true;
                    stderr.WriteLine($"error: unknown command '{token}'");
                    string? closest = DidYouMean.Closest(token, command.Subcommands.Select(c => c.Name));
                    if (closest is not null)
                        stderr.WriteLine($"hint: did you mean '{closest}'?");
                }
                else
                {
                    stderr.WriteLine($"error: {commandPath}: unexpected argument '{token}'");
                }
            }
            else if (NoCommand().IsMatch(message))
            {
                if (!unknownCommand && !parse.Errors.Any(e => Unrecognized().IsMatch(e.Message)))
                    stderr.WriteLine("error: no command given");
            }
            else if ((m = MissingArgument().Match(message)).Success)
            {
                string name = m.Groups["argument"].Value;
                var argument = command.Arguments.FirstOrDefault(a => a.Name == name);
                string what = argument?.Description is { Length: > 0 } d ? $": {Lower(d)}" : "";
                stderr.WriteLine($"error: {commandPath}: missing {name}{what}");
            }
            else if ((m = RequiredOption().Match(message)).Success)
            {
                string name = m.Groups["option"].Value;
                var option = options.FirstOrDefault(o => o.Name == name);
                string what = option?.Description is { Length: > 0 } d ? $": {Lower(d)}" : "";
                stderr.WriteLine($"error: {commandPath}: {name} is required{what}");
            }
            else
            {
                stderr.WriteLine($"error: {commandPath}: {message.TrimEnd('.')}");
            }
        }
        WriteHelpHint(stderr, commandPath);
        return ExitCodes.BadInput;
    }

    private static void WriteHelpHint(TextWriter stderr, string commandPath)
        => stderr.WriteLine($"hint: '{commandPath} --help' lists the arguments and options");

    /// <summary>Tokens that look like options and are none: see the essay.</summary>
    private static List<string> UnknownOptions(ParseResult parse, IReadOnlyList<Option> options)
    {
        var unknown = new List<string>();
        bool valueExpected = false;
        foreach (Token token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
                break;
            if (token.Type == TokenType.Option)
            {
                var option = options.FirstOrDefault(o => o.Name == token.Value || o.Aliases.Contains(token.Value));
                valueExpected = option is not null && option.Arity.MaximumNumberOfValues > 0;
                continue;
            }
            if (token.Type == TokenType.Argument)
            {
                if (!valueExpected && LooksLikeOption(token.Value))
                    unknown.Add(token.Value.Split('=', 2)[0]);
                valueExpected = false;
                continue;
            }
            valueExpected = false;
        }
        return unknown;
    }

    private static bool LooksLikeOption(string token)
        => token.Length > 1 && token[0] == '-' && !double.TryParse(token, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>The options a command accepts: its own and the recursive ones of the commands above it.</summary>
    private static List<Option> OptionsOf(CommandResult result)
    {
        var options = new List<Option>(result.Command.Options);
        for (SymbolResult? parent = result.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is CommandResult c)
                options.AddRange(c.Command.Options.Where(o => o.Recursive));
        }
        return options;
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
                names.Add(c.Parent is null ? "datapath" : c.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    private static string Name(string symbol, string kind) => kind == "option" ? symbol : symbol.ToUpperInvariant();

    private static string Lower(string description)
        => description.Length > 1 && char.IsUpper(description[0]) && !char.IsUpper(description[1])
            ? char.ToLowerInvariant(description[0]) + description[1..]
            : description;

    /// <summary>A .NET type name as the kind of value a user types.</summary>
    private static string TypeInWords(string type)
    {
        string t = NullableOf().Match(type) is { Success: true } n ? n.Groups["inner"].Value : type;
        return t switch
        {
            "System.Int32" => $"a whole number ({int.MinValue} to {int.MaxValue})",
            "System.Int64" => $"a whole number ({long.MinValue} to {long.MaxValue})",
            "System.UInt16" => "a whole number (0 to 65535)",
            "System.UInt32" => $"a whole number (0 to {uint.MaxValue})",
            "System.Double" => "a number",
            "System.Boolean" => "true or false",
            _ => "a valid value",
        };
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?<kind>option|command|argument) '(?<symbol>[^']*)' as expected type '(?<type>[^']*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"was not matched\. Did you mean", RegexOptions.Singleline)]
    private static partial Regex NotMatched();

    [GeneratedRegex(@"^Required command was not provided\.?$")]
    private static partial Regex NoCommand();

    [GeneratedRegex(@"^Required argument '(?<argument>[^']*)' missing for command: '(?<command>[^']*)'\.?$")]
    private static partial Regex MissingArgument();

    [GeneratedRegex(@"^Option '(?<option>[^']*)' is required\.?$")]
    private static partial Regex RequiredOption();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>[^\]]*)\]$")]
    private static partial Regex NullableOf();
}
