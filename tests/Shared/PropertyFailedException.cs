namespace Datapath.Tests.Shared;

/// <summary>A property that does not hold, with the seed and case that show it.</summary>
public sealed class PropertyFailedException(string message, Exception inner) : Exception(message, inner);
