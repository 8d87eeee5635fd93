using System.Text.Json.Serialization;

namespace Datapath.Live;

/// <summary>Source-generated JSON for the control protocol's request (a string array).</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
