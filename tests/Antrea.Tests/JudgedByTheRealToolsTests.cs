using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Where cluster.yaml's values are what another program takes, that program is the judge: Open
/// vSwitch's database for a port's ofport (its schema's ofport_request constraint), Linux for an
/// interface name and an MTU. Each table is fed to the judge and to the scenario loader (the value put
/// in the seed's cluster.yaml), and the verdicts, accept or refuse, must agree case by case.
/// </summary>
public sealed class JudgedByTheRealToolsTests
{
    [JudgedFact(nameof(OvsdbJudge))]
    public void An_ofport_is_taken_exactly_when_open_vswitch_takes_it_as_ofport_request()
    {
        string[] cases = ["48", "5", "65279", "65280", "65534", "65535", "65536", "0", "-5", "99999999999", "+7", "007", "4294967297"];
        using var ovs = OvsdbJudge.TryStart(out string? why) ?? throw new InvalidOperationException(why);
        Agree(cases, cases.Select(ovs.TakesOfPort).ToArray(), v => ("ofport: 48", $"ofport: {v}"), "ofport");
    }

    [JudgedFact(nameof(LinuxJudge))]
    public void An_interface_name_is_taken_exactly_when_linux_makes_an_interface_of_that_name()
    {
        string[] cases =
        [
            "ens160", "a", "abcdefghijklmno", "abcdefghijklmnop", ".", "..", "a.b", "-x", "a/b", "a:b", "a b", "a\tb", "a,b", "a=b", "@x",
            "üüüüüüü", "üüüüüüüü", "à", "é", "x\u00a0y", "x\u2003y", "x\u3000y", "x\u2020y", "x\u0085y",
        ];
        Agree(cases, LinuxJudge.TakesInterfaceNames(cases), v => ("uplink: ens160\n    podCIDR: 10.222.1.0/24", $"uplink: {Quoted(v)}\n    podCIDR: 10.222.1.0/24"), "uplink");
    }

    [JudgedFact(nameof(LinuxJudge))]
    public void A_gateway_mtu_is_taken_exactly_when_linux_sets_it_on_an_interface()
    {
        string[] cases = ["67", "68", "1450", "1500", "9000", "65535", "65536", "0", "-5"];
        Agree(cases, LinuxJudge.TakesMtus(cases), v => ("mac: 4e:99:08:c1:53:be, mtu: 1450", $"mac: 4e:99:08:c1:53:be, mtu: {v}"), "mtu");
    }

    /// <summary>Loads the seed with each case put in by <paramref name="edit"/>; our verdict must be the judge's.</summary>
    private static void Agree(string[] cases, bool[] judge, Func<string, (string Find, string Replace)> edit, string key)
    {
        Assert.Contains(true, judge);
        Assert.Contains(false, judge);
        using var copy = new SeedScenarioCopy();
        var disagreements = new List<string>();
        for (int i = 0; i < cases.Length; i++)
        {
            var (find, replace) = edit(cases[i]);
            bool ours;
            try
            {
                copy.LoadWith(SeedScenarioCopy.SeedWith(find, replace));
                ours = true;
            }
            catch (InputException e) when (e.What.Contains(key, StringComparison.Ordinal) && e.Line > 0)
            {
                ours = false;
            }
            if (ours != judge[i])
                disagreements.Add($"{key} {Quoted(cases[i])}: the judge {(judge[i] ? "takes" : "refuses")} it, we {(ours ? "take" : "refuse")} it");
        }
        Assert.True(disagreements.Count == 0, string.Join('\n', disagreements));
    }

    /// <summary>A YAML double-quoted scalar of <paramref name="value"/>: every character but printable ASCII escaped (U+0085 and U+2028 are line breaks to YAML).</summary>
    private static string Quoted(string value)
        => "\"" + string.Concat(value.Select(c => c is >= ' ' and <= '~' and not '"' and not '\\' ? c.ToString() : $"\\u{(int)c:x4}")) + "\"";
}
