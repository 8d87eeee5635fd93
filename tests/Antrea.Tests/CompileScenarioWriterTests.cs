using Datapath.Antrea.Compile;

namespace Datapath.Antrea.Tests;

/// <summary>
/// ScenarioWriter is ScenarioReader's inverse: the embedded labs' models, written as cluster.yaml beside the files
/// they name, load back into models that write the same text, and the scenario loads with the same bridges.
/// </summary>
public sealed class CompileScenarioWriterTests
{
    public static TheoryData<string> Labs => new() { "seed", "calico" };

    [Theory]
    [MemberData(nameof(Labs))]
    public void An_embedded_lab_written_and_read_back_is_the_same_model(string lab)
    {
        var embedded = AntreaScenario.LoadEmbedded(lab);
        var files = embedded.Model.Nodes
            .SelectMany(n => new[] { n.Flows, n.Groups, n.Meters, n.Iptables, n.Ipsets })
            .OfType<string>().Distinct(StringComparer.Ordinal)
            .ToDictionary(f => f, f => embedded.ReadFile(f)!, StringComparer.Ordinal);
        string dir = Directory.CreateTempSubdirectory("writer").FullName;
        try
        {
            var written = ScenarioWriter.WriteDirectory(dir, embedded.Model, files, ["written by a test"]);
            Assert.Equal("cluster.yaml", written[0]);
            string first = ScenarioWriter.ClusterYaml(embedded.Model);
            var loaded = AntreaScenario.Load(dir);
            Assert.Equal(first, ScenarioWriter.ClusterYaml(loaded.Model));
            Assert.Equal(embedded.Cluster.Nodes.Select(n => n.Name), loaded.Cluster.Nodes.Select(n => n.Name));
            foreach (var (a, b) in embedded.Cluster.Nodes.Zip(loaded.Cluster.Nodes))
            {
                Assert.Equal(a.Bridge.Ports.Select(p => $"{p.OfPort}({p.Name}) {p.Mac}"), b.Bridge.Ports.Select(p => $"{p.OfPort}({p.Name}) {p.Mac}"));
                Assert.Equal(a.Bridge.Tables.Rules().Count(), b.Bridge.Tables.Rules().Count());
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("default/backend1", "default/backend1")]
    [InlineData("role: backend", "\"role: backend\"")]
    [InlineData("true", "\"true\"")]
    [InlineData("-x", "\"-x\"")]
    [InlineData("a \"b\" \\ c", "\"a \\\"b\\\" \\\\ c\"")]
    [InlineData("default via 10.79.1.1 dev ens160", "default via 10.79.1.1 dev ens160")]
    [InlineData("a  b", "\"a  b\"")]
    [InlineData("trailing:", "\"trailing:\"")]
    [InlineData("x, y", "\"x, y\"")]
    public void Scalars_are_plain_only_where_yaml_reads_them_back_as_the_same_text(string text, string written)
    {
        Assert.Equal(written, ScenarioWriter.Scalar(text));
        var yaml = YamlInput.Parse($"k: {written}\n", "t.yaml");
        Assert.Equal(text, yaml.RequiredText(yaml.Mapping(yaml.Root, "t"), "k", "t"));
    }
}
