using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Datapath.Cli;

/// <summary>
/// Whole-number options that check their range while parsing and say what they want in a user's words
/// (<c>--workers: '0' is not a number of threads from 1 to 256</c>). A validator that reads the value
/// instead would meet System.CommandLine's conversion failure as an exception (for <c>--workers many</c>),
/// so the range is checked in the one place the text is converted.
/// </summary>
internal static class NumberOption
{
    /// <summary>An option whose value is a whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int> Create(string name, string description, int min, int max, int defaultValue, string what)
        => new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => Parse(r, name, min, max, what) ?? defaultValue,
        };

    /// <summary>The same, for an option that may be absent (null).</summary>
    public static Option<int?> CreateOptional(string name, string description, int min, int max, string what)
        => new(name)
        {
            Description = description,
            CustomParser = r => Parse(r, name, min, max, what),
        };

    private static int? Parse(ArgumentResult result, string name, int min, int max, string what)
    {
        if (result.Tokens.Count == 0)
            return null;
        string text = result.Tokens[^1].Value;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
            return value;
        result.AddError($"{name}: '{text}' is not {what} ({min} to {max})");
        return null;
    }
}
