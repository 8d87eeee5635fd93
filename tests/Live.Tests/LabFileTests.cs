using Datapath.Packets;

namespace Datapath.Live.Tests;

/// <summary>The lab file format of docs/lab.md: what it accepts, and errors that name LAB:LINE:COL.</summary>
public sealed class LabFileTests
{
    private const string SeedLab =
        """
        scenario: embedded
        nodes:
          worker1:
            control: w1.sock
            underlay: 127.0.0.11:6081
            peers:
              10.79.1.200: 127.0.0.10
            ports:
              frontend-a3ba2f: tap:w1-frontend
              backend1-bab86f: { bind: tap:w1-backend1, mtu: 1450 }
          worker2:
            underlay: 127.0.0.12
            addFlows: |
              table=90, priority=210,ip,nw_src=10.222.2.1 actions=resubmit(,105)
            ports:
              backend2-202ff6: { bind: afpacket:veth-b2, ring: v3 }
              backend3-c0ffee: { bind: pcap:veth-b3, filter: not arp }
        """;

    [Fact]
    public void TheDocumentedSeedLabParses()
    {
        var lab = LabFileParser.Parse(SeedLab, "/labs/seed.yaml");
        Assert.Equal("embedded", lab.Scenario);
        Assert.Equal(["worker1", "worker2"], lab.Nodes.Select(n => n.Name));
        var w1 = lab.Nodes[0];
        Assert.Equal("/labs/w1.sock", w1.ControlSocket);
        Assert.Equal("127.0.0.11:6081", w1.Underlay!.ToString());
        Assert.Equal(("10.79.1.200", "127.0.0.10:6081"), (w1.Peers[0].NodeOrIp, w1.Peers[0].Endpoint.ToString()));
        Assert.Equal(new LabPortBinding("frontend-a3ba2f", LabPortKind.Tap, "w1-frontend", 9, 24), w1.Ports[0]);
        Assert.Equal(1450, w1.Ports[1].Mtu);
        var w2 = lab.Nodes[1];
        Assert.Equal("/labs/worker2.sock", w2.ControlSocket); // default: NODE.sock beside the lab file
        Assert.Equal(6081, w2.Underlay!.Port);
        Assert.Equal(LabPortKind.AfPacket, w2.Ports[0].Kind);
        Assert.Equal(Datapath.Io.Live.AfPacketRxRing.V3, w2.Ports[0].Ring);
        Assert.Null(w1.Ports[0].Ring); // the daemon's default (LiveNode.DefaultRing)
        Assert.Equal((LabPortKind.Pcap, "not arp"), (w2.Ports[1].Kind, w2.Ports[1].Filter));
        Assert.Null(w2.Ports[0].Filter);
        Assert.Null(w1.AddFlowsText);
        Assert.Equal("table=90, priority=210,ip,nw_src=10.222.2.1 actions=resubmit(,105)\n", w2.AddFlowsText);
    }

    [Theory]
    [InlineData("scenario: embedded\nnodes:\n  worker1:\n    contrl: x.sock\n", 4, 5, "unknown key 'contrl'")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      frontend-a3ba2f: tun:x\n", 4, 24, "'tun:x' is not tap:NAME, afpacket:IFNAME or pcap:IFNAME")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      frontend-a3ba2f: tap:much-too-long-name\n", 4, 24, "is not an interface name")]
    [InlineData("nodes:\n  worker1:\n    underlay: 10.0.0.300\n", 3, 15, "is not IPV4:PORT")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: afpacket:x, ring: v4 }\n", 4, 36, "ring 'v4' is not v3, v2 or none")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: tap:x, filter: udp }\n", 4, 33, "port a: filter: is for pcap: and afpacket: ports")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: pcap:x, filter: udp port banana }\n", 4, 34, "port a: filter 'udp port banana' does not compile:")]
    [InlineData("nodes:\n  worker1:\n    underlay: 127.0.0.1:6081\n    peers: { worker2: 127.0.0.2:7000 }\n", 4, 23, "same UDP port")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: tap:x\n      b: tap:x\n", 5, 10, "bound twice")]
    [InlineData("nodes:\n  worker1: [1, 2]\n", 2, 12, "expected a mapping")]
    [InlineData("nodes: {\n", 2, 1, "")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: tap:x, ofport: 65534 }\n", 4, 33, "port a: ofport 65534 is out of range (1..65279 (0xfeff)")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: tap:x, ofport: 99999999999 }\n", 4, 33, "ofport 99999999999 is out of range")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: tap:x, mac: zz }\n", 4, 30, "port a: mac 'zz' is not a MAC address")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: tap:x, mtu: -5 }\n", 4, 30, "port a: mtu -5 is out of range (68..65535")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { mtu: 1500 }\n", 4, 10, "port a (tap:NAME, afpacket:IF or pcap:IF): 'bind' is required")]
    [InlineData("scenario:\nnodes:\n  worker1: {}\n", 1, 1, "lab file: scenario: empty value")]
    [InlineData("nodes:\n  worker1:\n    control: \"\"\n", 3, 5, "node worker1: control: empty value")]
    [InlineData("nodes: []\n", 1, 8, "expected a mapping (key: value), got a list")]
    [InlineData("scenario: /nonexistent/scenario\nnodes:\n  worker1: {}\n", 1, 11, "lab file: scenario '/nonexistent/scenario' does not exist")]
    [InlineData("nodes: {}\n", 1, 8, "'nodes' is empty")]
    [InlineData("scenario: embedded:calcio\nnodes:\n  master: {}\n", 1, 11, "no embedded lab 'calcio' (did you mean 'calico'?)")]
    [InlineData("nodes:\n  worker1:\n    local: { bind: tap:x, ofport: 3 }\n", 3, 20, "local: the node's own stack has no ofport")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: tap:x\n    local: tap:x\n", 5, 12, "interface 'x' is bound twice")]
    public void ErrorsNameTheLineAndColumn(string yaml, int line, int column, string message)
    {
        var e = Assert.Throws<InputException>(() => LabFileParser.Parse(yaml, "lab.yaml"));
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"lab.yaml:{line}:{column}: ", e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scenario: embedded\nnodes:\n  worker1:\n    contrl: x.sock\n", 4, 5, "did you mean 'control'?")]
    [InlineData("scenario: embedded\nnodez:\n  worker1: {}\n", 2, 1, "did you mean 'nodes'?")]
    [InlineData("nodes:\n  worker1:\n    ports:\n      a: { bind: tap:x, rign: v3 }\n", 4, 25, "did you mean 'ring'?")]
    [InlineData("nodes:\n  worker1:\n    colour: blue\n", 3, 5, "the keys here are control, underlay, peers, ports, local, flows, flowsText, addFlows, host")]
    public void AnUnknownKeySaysWhichKeyWasMeant(string yaml, int line, int column, string hint)
    {
        var e = Assert.Throws<InputException>(() => LabFileParser.Parse(yaml, "lab.yaml"));
        Assert.Equal((line, column, hint), (e.Line, e.Column, e.Hint));
        Assert.Contains("unknown key", e.What, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingEmptyOrDirectoryLabFileIsAWholeFileErrorNamingIt()
    {
        string dir = Directory.CreateTempSubdirectory("lab").FullName;
        try
        {
            string missing = Path.Combine(dir, "missing.yaml");
            var e = Assert.Throws<InputException>(() => LabFileParser.Load(missing));
            Assert.Equal((missing, 0, "no such file"), (e.File, e.Line, e.What));

            e = Assert.Throws<InputException>(() => LabFileParser.Load(dir));
            Assert.Equal((dir, 0, "is a directory, not a lab file"), (e.File, e.Line, e.What));

            string empty = Path.Combine(dir, "empty.yaml");
            File.WriteAllText(empty, "\n");
            e = Assert.Throws<InputException>(() => LabFileParser.Load(empty));
            Assert.Equal((empty, 0, "is empty"), (e.File, e.Line, e.What));
            Assert.Equal($"{empty}: is empty", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AFlowsFileThatIsEmptyOrADirectoryIsRefusedWhereTheLabNamesIt()
    {
        string dir = Directory.CreateTempSubdirectory("lab").FullName;
        try
        {
            string lab = Path.Combine(dir, "lab.yaml");
            File.WriteAllText(Path.Combine(dir, "own.flows"), "");
            Directory.CreateDirectory(Path.Combine(dir, "dir.flows"));
            var e = Assert.Throws<InputException>(() => LabFileParser.Parse("scenario: none\nnodes:\n  n1:\n    flows: own.flows\n", lab));
            Assert.Equal((lab, 4, 12), (e.File, e.Line, e.Column));
            Assert.Equal($"node n1: flows file '{Path.Combine(dir, "own.flows")}' is empty", e.What);
            e = Assert.Throws<InputException>(() => LabFileParser.Parse("scenario: none\nnodes:\n  n1:\n    flows: dir.flows\n", lab));
            Assert.EndsWith("is a directory, not a file", e.What, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void APortNumberOpenVSwitchWouldTakeIsTaken()
    {
        var lab = LabFileParser.Parse("scenario: none\nnodes:\n  n1:\n    flowsText: \"actions=drop\"\n    ports:\n      a: { bind: tap:x, ofport: 65279 }\n", "lab.yaml");
        Assert.Equal(65279u, lab.Nodes[0].Ports[0].OfPort);
    }

    /// <summary>The documented lab cut short at every character, and each of its characters deleted in turn: parsed, or refused as located input.</summary>
    [Fact]
    public void TheSeedLabCutShortOrMissingACharacterIsParsedOrRefusedAsInput()
    {
        var texts = Enumerable.Range(0, SeedLab.Length).SelectMany(i => new[] { SeedLab[..i], SeedLab.Remove(i, 1) }).ToList();
        int refused = 0;
        var failures = new List<string>();
        foreach (string text in texts)
        {
            try
            {
                LabFileParser.Parse(text, "lab.yaml");
            }
            catch (InputException e) when (e.File == "lab.yaml" && (e.Line > 0 || e.What is "is empty"))
            {
                refused++;
            }
            catch (Exception e)
            {
                failures.Add($"{text.Length} chars, ending '{(text.Length > 30 ? text[^30..] : text).ReplaceLineEndings("\\n")}': {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        Assert.InRange(refused, texts.Count / 4, texts.Count - 20);
    }

    [Fact]
    public void TheDaemonLogsLoadWarningsWithTheirLines()
    {
        const string yaml =
            """
            scenario: embedded
            nodes:
              worker2:
                addFlows: |
                  table=50, priority=300,ip,nw_src=10.222.1.99 actions=conjunction(7,1/2)
                  table=50, priority=300,tcp actions=conjunction(7,2/2)
                  table=50, priority=300,ip,nw_dst=10.222.1.5 actions=conjunction(8,1/2)
                  table=50, priority=300,ip actions=conjunction(8,2/2)
            """;
        var lab = LabFileParser.Parse(yaml, "/labs/overlap.yaml");
        var log = new List<string>();
        using (LiveDaemon.Build(lab, "worker2", log.Add))
        {
        }
        string warning = Assert.Single(log, l => l.Contains("warning:", StringComparison.Ordinal));
        Assert.Contains("conjunction(7,...) and conjunction(8,...) overlap at priority 300 in table 50", warning, StringComparison.Ordinal);
        Assert.StartsWith("worker2: warning: /labs/overlap.yaml", warning, StringComparison.Ordinal);
    }

    private const string CalicoLab =
        """
        scenario: embedded:calico
        nodes:
          worker1:
            underlay: 127.0.0.22:4789
            local: { bind: tap:n-worker1, mac: 52:54:00:3a:6c:88 }
            ports:
              cali6847b0d64cd: tap:p-q6k4p
              calie3ba9b96e53: { bind: tap:p-debug, mtu: 1450 }
          worker2:
            underlay: 127.0.0.23:4789
        """;

    [Fact]
    public void ACalicoLabNamesItsEmbeddedLabThePodsVethsAndTheNodesOwnStack()
    {
        var lab = LabFileParser.Parse(CalicoLab, "/labs/calico.yaml");
        Assert.Equal("embedded:calico", lab.Scenario);
        var w1 = lab.Nodes[0];
        Assert.Equal(new LabPortBinding("local", LabPortKind.Tap, "n-worker1", 5, 20) { Mac = "52:54:00:3a:6c:88" }, w1.Local);
        Assert.Equal(["cali6847b0d64cd", "calie3ba9b96e53"], w1.Ports.Select(p => p.Port));
        Assert.Null(lab.Nodes[1].Local);
        // The daemon builds worker1 without a bridge: its host is the node, its bindings its host's devices.
        using var daemon = LiveDaemon.Build(lab, "worker1", _ => { });
        Assert.Equal("/labs/calico.yaml", daemon.Lab.Path);
        Assert.Equal("embedded", LabFileParser.Parse("scenario: embedded:seed\nnodes:\n  worker1: {}\n", "lab.yaml").Scenario);
    }

    [Theory]
    [InlineData("    ports:\n      cali6847b0d64ce: tap:x\n", 5, 24, "'cali6847b0d64ce' is none of its pods' veths (did you mean 'cali6847b0d64cd'?)")]
    [InlineData("    ports:\n      cali6847b0d64cd: { bind: tap:x, ofport: 5 }\n", 5, 32, "port 'cali6847b0d64cd' takes no ofport")]
    [InlineData("    addFlows: |\n      table=0 actions=drop\n", 3, 3, "has no bridge (a Calico node: its host is the node): it takes no flows")]
    [InlineData("    host: false\n", 3, 3, "host: false would leave nothing to run")]
    public void TheDaemonRefusesWhatACalicoNodeCannotHave(string node, int line, int column, string message)
    {
        var lab = LabFileParser.Parse("scenario: embedded:calico\nnodes:\n  worker1:\n" + node, "lab.yaml");
        var e = Assert.Throws<InputException>(() => LiveDaemon.Build(lab, null, _ => { }));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void TheLocalBindingNeedsAHostStack()
    {
        var lab = LabFileParser.Parse("scenario: embedded\nnodes:\n  worker1:\n    host: false\n    local: tap:x\n", "lab.yaml");
        var e = Assert.Throws<InputException>(() => LiveDaemon.Build(lab, null, _ => { }));
        Assert.Contains("local: binds the node's own stack, but the node runs no host stack (host: false)", e.Message, StringComparison.Ordinal);
        Assert.Equal((5, 12), (e.Line, e.Column));
    }
}
