namespace Datapath.Engine.Actions;

/// <summary>What one argument of <c>learn</c> makes in the learned flow (OVS's NX_LEARN_DST_*).</summary>
public enum LearnSpecKind
{
    /// <summary><c>field=value</c>, <c>field=src</c> or <c>field</c>: a match of the learned flow.</summary>
    Match,
    /// <summary><c>load:value->dst</c> or <c>load:src->dst</c>: a load action of the learned flow.</summary>
    Load,
    /// <summary><c>output:src</c>: an output to the port the field holds.</summary>
    Output,
}
