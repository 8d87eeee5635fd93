using Datapath.Engine.Host;

namespace Datapath.Engine.Tests;

/// <summary>Every drop reason has a report name, and every host drop reason has an engine drop reason of the same name.</summary>
public class DropReasonNamesTests
{
    [Fact]
    public void Every_reason_has_a_kebab_case_name()
    {
        foreach (var r in Enum.GetValues<DropReason>())
            Assert.Matches("^[a-z]+(-[a-z]+)*$", DropReasonNames.Name(r));
    }

    [Fact]
    public void Host_drop_reasons_map_onto_engine_reasons_by_name()
    {
        foreach (var r in Enum.GetValues<HostDropReason>())
        {
            Assert.True(Enum.TryParse<DropReason>(r.ToString(), out var d), $"HostDropReason.{r} has no DropReason of the same name");
            Assert.Equal(HostDropReasonNames.Name(r), DropReasonNames.Name(d));
        }
    }
}
