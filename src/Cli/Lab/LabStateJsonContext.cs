using System.Text.Json.Serialization;

namespace Datapath.Cli.Lab;

/// <summary>Source-generated JSON for DIR/lab.state.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LabState))]
internal sealed partial class LabStateJsonContext : JsonSerializerContext;
