using Datapath.Packets;
using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea.Compile;

/// <summary>
/// Where a Kubernetes object stands in its manifest: the file's YAML and the object's mapping, so that what is wrong
/// with it later (a nodeName no node has, a clusterIP outside the service CIDR) is an error at the key that says it.
/// </summary>
public sealed class KubeSource(YamlInput yaml, YamlMappingNode obj)
{
    public string File => yaml.File;

    /// <summary>Line and column of the object (its first key), for messages that point at another object.</summary>
    public string Location => $"{yaml.File}:{obj.Start.Line}:{obj.Start.Column}";

    /// <summary>
    /// An error at the value of <paramref name="path"/> (dotted keys from the object, <c>spec.nodeName</c>; a number
    /// picks a list item, <c>spec.ports.1.nodePort</c>), or at the deepest part of it that is there.
    /// </summary>
    public InputException At(string path, string what, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        YamlNode at = obj;
        foreach (string part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            YamlNode? next = at switch
            {
                YamlMappingNode m => YamlInput.Get(m, part),
                YamlSequenceNode s when int.TryParse(part, System.Globalization.CultureInfo.InvariantCulture, out int i) && i >= 0 && i < s.Children.Count => s.Children[i],
                _ => null,
            };
            if (next is null)
                break;
            at = next;
        }
        return yaml.At(at, what, hint);
    }
}
