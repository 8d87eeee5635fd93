using CsCheck;
using Datapath.Antrea.Compile;
using Datapath.Packets;
using Datapath.Tests.Shared;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The compile's inputs as a hurried or hostile user edits them (the edits of <see cref="ScenarioTextPropertyTests"/>:
/// characters deleted, doubled or replaced, values emptied, lines deleted, doubled or swapped) in the fresh cluster's
/// cluster.yaml or manifests. The contract: the compile succeeds and what it writes loads as a scenario, or it is
/// refused with an <see cref="InputException"/> naming one of its inputs at a line it has — never another exception,
/// never an error in the scenario it wrote, for either pipeline.
/// </summary>
public sealed class CompilePropertyTests
{
    private sealed record Case(bool Cluster, CompilePipeline Pipeline, ScenarioTextPropertyTests.Edit[] Edits)
    {
        public override string ToString() => $"{(Cluster ? "cluster.yaml" : "app.yaml")} ({Pipeline}): {string.Join(", ", Edits.Select(e => e.ToString()))}";
    }

    private static readonly Gen<Case> ACase =
        Gen.Select(Gen.Bool, Gen.Bool, Gen.Select(Gen.Int[0, 6], Gen.Double[0, 0.999], Gen.Int[0, 1000], (k, w, p) => new ScenarioTextPropertyTests.Edit(k, w, p)).Array[1, 3],
            (cluster, v2, edits) => new Case(cluster, v2 ? CompilePipeline.Antrea2 : CompilePipeline.AntreaV010, edits));

    [Fact]
    [Trait("Category", PropertyRun.Trait)]
    public void Edited_inputs_compile_to_a_scenario_that_loads_or_are_refused_at_a_line_of_the_edited_file()
    {
        PropertyRun.Check(nameof(Edited_inputs_compile_to_a_scenario_that_loads_or_are_refused_at_a_line_of_the_edited_file), ACase, c =>
        {
            using var fixture = new CompileFixtures();
            string path = c.Cluster ? fixture.ClusterPath : fixture.ManifestsPath;
            string text = c.Edits.Aggregate(File.ReadAllText(path), ScenarioTextPropertyTests.ApplyOne);
            File.WriteAllText(path, text);
            try
            {
                var compiled = ClusterCompiler.Compile(fixture.ClusterPath, [fixture.ManifestsPath], c.Pipeline);
                ScenarioWriter.WriteDirectory(fixture.Out, compiled.Model, compiled.Files);
                AntreaScenario.Load(fixture.Out);
            }
            catch (InputException e)
            {
                // An edited cluster.yaml may make a manifest wrong (a nodeName it no longer has); the written scenario never is.
                Assert.True(e.File == fixture.ClusterPath || e.File == fixture.ManifestsPath, $"{e.Message} (edited {path})");
                Assert.InRange(e.Line, 0, File.ReadAllText(e.File).Split('\n').Length + 1);
            }
        }, cases: 120, print: c => c.ToString());
    }
}
