using System.Reflection;
using Datapath.Benchmarks.Netfilter;

namespace Datapath.Netfilter.Tests;

/// <summary>
/// The kernel is the judge: every document the tests feed our parser is restored by iptables-restore in a
/// fresh network namespace (after its sets are created there with ipset restore), and every document we
/// reject as wrong the kernel rejects too. The namespace is deleted even when an assertion fails.
/// </summary>
public sealed class KernelAcceptanceTests
{
    private static IEnumerable<(string Name, string Text)> AcceptedDocuments()
    {
        foreach (var f in typeof(RuleFixtures).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (f.IsLiteral && f.Name != nameof(RuleFixtures.Ipsets))
                yield return ("RuleFixtures." + f.Name, (string)f.GetRawConstantValue()!);
        }
        yield return ("worker1.iptables", File.ReadAllText(RepoPaths.Scenario("worker1.iptables")));
        yield return ("worker2.iptables", File.ReadAllText(RepoPaths.Scenario("worker2.iptables")));
        yield return ("kube-proxy, 10 services", KubeProxyRuleGenerator.Generate(10));
        yield return ("kube-proxy, 1000 services", KubeProxyRuleGenerator.Generate(1000));
    }

    private static void InNamespace(Action<string> body)
    {
        string ns = "nf-" + Guid.NewGuid().ToString("N")[..10];
        var add = Shell.Run("ip", "netns add " + ns);
        Assert.True(add.ExitCode == 0, "ip netns add failed: " + add.Error);
        try
        {
            string sets = RuleFixtures.Ipsets + "\n" + File.ReadAllText(RepoPaths.Scenario("ipsets.save"));
            var r = Shell.Run("ip", $"netns exec {ns} ipset restore", sets);
            Assert.True(r.ExitCode == 0, "ipset restore refused the sets: " + r.Error);
            body(ns);
        }
        finally
        {
            Shell.Run("ip", $"netns exec {ns} ipset destroy");
            Shell.Run("ip", "netns del " + ns);
        }
    }

    [NetnsFact]
    public void Iptables_restore_accepts_every_document_our_tests_parse()
    {
        InNamespace(ns =>
        {
            foreach (var (name, text) in AcceptedDocuments())
            {
                // Our parser accepts it ...
                IptablesSaveParser.ParseText(text, name);
                // ... and so does the kernel, checked (--test) and committed.
                var test = Shell.Run("ip", $"netns exec {ns} iptables-restore --test", text);
                Assert.True(test.ExitCode == 0, $"iptables-restore --test refused {name}: {test.Error}");
                var real = Shell.Run("ip", $"netns exec {ns} iptables-restore", text);
                Assert.True(real.ExitCode == 0, $"iptables-restore refused {name}: {real.Error}");
            }
        });
    }

    [NetnsFact]
    public void Iptables_restore_refuses_every_document_we_call_wrong()
    {
        InNamespace(ns =>
        {
            foreach (var row in ErrorTests.BadDocuments)
            {
                string text = (string)row[0];
                var r = Shell.Run("ip", $"netns exec {ns} iptables-restore", text);
                Assert.True(r.ExitCode != 0, $"the kernel accepted what we reject as '{row[1]}'");
            }
        });
    }

    [NetnsFact]
    public void Ipset_restore_accepts_the_seed_and_fixture_sets()
        => InNamespace(ns =>
        {
            var list = Shell.Run("ip", $"netns exec {ns} ipset list -n");
            Assert.Contains("ANTREA-POD-IP", list.Output, StringComparison.Ordinal);
            Assert.Contains("TEST-IPPORT", list.Output, StringComparison.Ordinal);
        });
}
