using System.CommandLine;
using Datapath.Live;

namespace Datapath.Cli;

/// <summary><c>--metrics ADDR:PORT</c> of run and lab up: parsed and checked in the one place the text is converted.</summary>
internal static class MetricsOption
{
    public static Option<MetricsEndpoint?> Create(string description)
        => new("--metrics")
        {
            Description = description,
            CustomParser = r =>
            {
                string text = r.Tokens[^1].Value;
                if (MetricsEndpoint.TryParse(text, out var endpoint, out string why))
                    return endpoint;
                r.AddError($"--metrics: {why}");
                return null;
            },
        };
}
