using System.Globalization;
using System.Text;
using System.Text.Json;
using Datapath.Classifier;
using Datapath.Conntrack;
using Datapath.Engine;
using Datapath.Engine.Actions;
using Datapath.Engine.Tracing;
using Datapath.Geneve;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Live;

/// <summary>
/// The commands a node's control socket answers, in ovs-ofctl / ovs-appctl style, on the live
/// state: dump-flows (with live n_packets/n_bytes), add-flow, del-flows, mod-flows, dump-ports,
/// dump-conntrack, flush-conntrack, trace, stats, ping (from the node's host), ip neigh (the host's ARP cache), help. Flow-mods are serialized by a lock (the
/// classifier publishes each atomically to the data threads, which never wait for it).
/// Every error is a reply (exit code 1, <c>error: ...</c>, flow errors as <c>FLOW:1:COL: ...</c>); nothing here stops the daemon.
/// </summary>
internal sealed class ControlCommands(LiveNode live, TimeProvider time)
{
    private const string Source = "FLOW";
    private readonly Lock _modLock = new();
    private readonly long _startedAt = time.GetTimestamp();

    public static string Usage =>
        """
        commands (as ovs-ofctl / ovs-appctl take them):
          dump-flows [--no-stats] [table=N | FILTER]   the rules with live n_packets/n_bytes
          add-flow FLOW                                 add or replace a rule
          del-flows [--strict] [FILTER]                 delete matching rules (all without FILTER)
          mod-flows [--strict] FLOW                     replace the actions of matching rules
          dump-groups [group_id=N]                      the groups as ovs-ofctl dump-groups prints them
          add-group GROUP | mod-group GROUP             add or replace a group (ovs-ofctl's group syntax)
          del-groups [group_id=N]                       delete a group (all without one) and the flows that use it
          dump-group-stats [group_id=N]                 group and bucket counters, as ovs-ofctl dump-group-stats
          dump-tables                                   per-table rules and lookups, as ovs-ofctl dump-tables
          show                                          the bridge, its ports and MACs, as ovs-ofctl show
          dump-meters [meter=N]                         the meters as ovs-ofctl -O OpenFlow13 dump-meters prints them
          meter-stats [meter=N]                         the meters' live counters, as ovs-ofctl -O OpenFlow13 meter-stats
          add-meter METER | mod-meter METER             add or replace a meter (meter=N,kbps|pktps,...,bands=type=drop,rate=R)
          del-meters [meter=N]                          delete a meter (all without one) and the flows that use it
          dump-ports                                    bridge and live port counters
          dump-conntrack [--host] [zone=N]              conntrack entries (dpctl/dump-conntrack; --host: the host's, conntrack -L)
          flush-conntrack [zone=N]                      delete conntrack entries
          iptables [-t T] -L [CHAIN] [-n] [-v] [-x] [--line-numbers] | -S [CHAIN] [-v]
                                                        the host's rules with live counters, as iptables 1.8.9 lists them
          iptables [-t T] -A CHAIN RULE | -I CHAIN [N] RULE
                                                        add a rule to the host's tables (e.g. -t raw -A OUTPUT -p icmp -j TRACE)
          iptables-save [-c] [-t T]                     the host's rules as iptables-save writes them (no date lines)
          xtables-monitor --trace [-W SEC] [-c N] [--kernel 5.15|6.18]
                                                        what TRACE rules select, as xtables-monitor --trace prints it,
                                                        for SEC seconds (default 5, at most 8: a reply is due within 10 s)
                                                        or until N packets
          conntrack -L                                  the host's connections, as conntrack-tools' conntrack -L
          ip neigh [show]                               the host's ARP cache with NUD states, as ip neigh show prints it
          trace [--json] FLOW                           ofproto/trace on the live tables (conntrack: see docs/lab.md)
          stats [--json]                                daemon counters: ports, underlay, gateway, drops, faults
          ping [-c N] [-i SEC] [-W SEC] IP              ICMP echo from the node's host (its antrea-gw0 address) to IP
          help                                          this text

        """;

    public ControlReply Execute(string[] args)
    {
        if (args.Length == 0)
            return ControlReply.Error("no command (try 'help')");
        string cmd = args[0];
        var rest = args.AsSpan(1);
        try
        {
            return cmd switch
            {
                "dump-flows" => DumpFlows(rest),
                "add-flow" or "add-flows" => AddFlow(rest),
                "del-flows" => DelFlows(rest),
                "mod-flows" => ModFlows(rest),
                "dump-groups" => DumpGroups(rest),
                "add-group" => GroupMod(rest, modify: false),
                "mod-group" => GroupMod(rest, modify: true),
                "del-groups" => DelGroups(rest),
                "dump-meters" or "dump-meter" => ControlReply.Ok(Lines(Bridge.DumpMeters(MeterParser.ParseSelector(string.Join(' ', rest.ToArray()), Source)))),
                "meter-stats" => ControlReply.Ok(Lines(Bridge.DumpMeterStats(MeterParser.ParseSelector(string.Join(' ', rest.ToArray()), Source), live.StatsClock))),
                "add-meter" => MeterMod(rest, modify: false),
                "mod-meter" => MeterMod(rest, modify: true),
                "del-meters" or "del-meter" => DelMeters(rest),
                "dump-ports" => DumpPorts(rest),
                "dump-group-stats" => DumpGroupStats(rest),
                "dump-tables" => rest.Length == 0 ? ControlReply.Ok(Lines(OfctlReplies.DumpTables(Bridge))) : ControlReply.Error("dump-tables takes no arguments"),
                "show" => rest.Length == 0 ? ControlReply.Ok(Lines(OfctlReplies.Show(Bridge, OfctlReplies.DefaultLocalMac(live.Name, Bridge.Name)))) : ControlReply.Error("show takes no arguments"),
                "dump-conntrack" => DumpConntrack(rest),
                "flush-conntrack" => FlushConntrack(rest),
                "iptables" when rest.Contains("-A") || rest.Contains("-I") => HostIptablesAdd(rest),
                "iptables" => HostIptables(rest, IptablesCommandLine.Run),
                "xtables-monitor" => XtablesMonitorTrace(rest),
                "iptables-save" => HostIptables(rest, IptablesCommandLine.RunSave),
                "conntrack" => HostConntrack(rest),
                "ip" => HostIp(rest),
                "trace" => Trace(rest),
                "stats" => Stats(rest),
                "ping" => Ping(rest),
                "help" or "--help" or "-h" => ControlReply.Ok(Usage),
                _ => ControlReply.Error($"unknown command '{cmd}' (try 'help')"),
            };
        }
        catch (InputException e)
        {
            return ControlReply.Error(e.ToString());
        }
        catch (ArgumentException e)
        {
            return ControlReply.Error(e.Message);
        }
        catch (InvalidOperationException e)
        {
            return ControlReply.Error(e.Message);
        }
    }

    private Bridge Bridge => live.Bridged.Bridge;

    /// <summary><c>ip neigh</c> / <c>ip neigh show</c>: the host's neighbour table, as iproute2 prints it.</summary>
    private ControlReply HostIp(ReadOnlySpan<string> args)
    {
        if (args.Length == 0 || args[0] is not ("neigh" or "neighbor" or "neighbour" or "n") || (args.Length > 1 && args[1] != "show") || args.Length > 2)
            return ControlReply.Error("ip: only 'ip neigh [show]' is served (the host's ARP cache)");
        if (live.Host is not { } host)
            return ControlReply.Error("this node has no host stack behind antrea-gw0 (its gateway is a live port: ask that host)");
        // Timers due by now first, as the kernel's would have run: the states are those of this moment.
        live.Journey.RunTimers(live.Journey.Nodes[0], live, live.NowMs());
        return ControlReply.Ok(Lines(host.DumpIpNeigh()));
    }

    private static (bool Flag, List<string> Others) TakeFlag(ReadOnlySpan<string> args, string flag)
    {
        bool found = false;
        var rest = new List<string>();
        foreach (var a in args)
        {
            if (a == flag)
                found = true;
            else
                rest.Add(a);
        }
        return (found, rest);
    }

    private static string Lines(IEnumerable<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines)
            sb.Append(l).Append('\n');
        return sb.ToString();
    }

    // ---- flows

    private ControlReply DumpFlows(ReadOnlySpan<string> args)
    {
        var (noStats, rest) = TakeFlag(args, "--no-stats");
        Bridge.ExpireFlows(live.StatsClock.NowMs); // timeouts on the wall clock, even while no packet arrives
        string filterText = string.Join(',', rest);
        if (filterText.Length == 0)
            return ControlReply.Ok(Lines(Bridge.DumpFlows(!noStats, clock: live.StatsClock).Select(l => Bridge.FlowDumpIndent + l)));
        var filter = FlowParser.ParseFilter(filterText, Bridge.InputNames, Source);
        var rules = Bridge.Tables.Rules(filter.Table).Where(r => r.Match.IsWithin(filter.Match));
        return ControlReply.Ok(Lines(Bridge.DumpFlows(rules, !noStats, NamesShown.Ports, live.StatsClock).Select(l => Bridge.FlowDumpIndent + l)));
    }

    private ControlReply AddFlow(ReadOnlySpan<string> args)
    {
        if (args.Length == 0)
            return ControlReply.Error("add-flow needs a FLOW (e.g. 'table=0,priority=10,in_port=1,actions=output:2')");
        string text = string.Join(' ', args.ToArray());
        lock (_modLock)
            Bridge.AddFlow(text, Source);
        return ControlReply.Ok("");
    }

    private ControlReply DelFlows(ReadOnlySpan<string> args)
    {
        var (strict, rest) = TakeFlag(args, "--strict");
        string text = string.Join(',', rest);
        FlowMod mod;
        if (text.Length == 0)
        {
            if (strict)
                return ControlReply.Error("del-flows --strict needs a FLOW with its priority");
            mod = FlowMod.Delete(Match.CatchAll);
        }
        else
        {
            var pf = FlowParser.ParseFilter(text, Bridge.InputNames, Source);
            mod = FlowMod.FromParsed(pf, strict ? FlowModCommand.DeleteStrict : FlowModCommand.Delete);
        }
        FlowModResult result;
        lock (_modLock)
            result = Bridge.Tables.Apply(mod);
        return ControlReply.Ok($"deleted {result.Removed.Count} flow(s)\n");
    }

    private ControlReply ModFlows(ReadOnlySpan<string> args)
    {
        var (strict, rest) = TakeFlag(args, "--strict");
        if (rest.Count == 0)
            return ControlReply.Error("mod-flows needs a FLOW with actions (e.g. 'table=90,tcp,tp_dst=22,actions=drop')");
        string text = string.Join(' ', rest);
        var pf = FlowParser.Parse(text, Bridge.InputNames, Source);
        var template = pf.ToRule();
        ActionList actions;
        try
        {
            actions = ActionParser.Parse(pf.ActionsText ?? "", Bridge.InputNames);
            ActionValidator.Check(actions, pf.Match);
        }
        catch (InputException e) when (e.File == ActionParser.Fragment)
        {
            throw e.Within(Source, 1, Math.Max(1, pf.ActionsColumn));
        }
        template.Actions = actions;
        var mod = FlowMod.Modify(pf.Match, template, pf.Table, strict, pf.Priority, pf.Cookie, pf.CookieMask,
            pf.CookieMask == 0 && pf.Cookie != 0 ? pf.Cookie : null);
        FlowModResult result;
        lock (_modLock)
            result = Bridge.Tables.Apply(mod);
        return ControlReply.Ok($"modified {result.Added.Count} flow(s)\n");
    }

    // ---- groups

    private static bool TryGroupId(ReadOnlySpan<string> args, out uint? id, out string? error)
    {
        id = null;
        error = null;
        if (args.Length == 0)
            return true;
        string a = args[0];
        string digits = a.StartsWith("group_id=", StringComparison.Ordinal) ? a[9..] : a;
        if (args.Length > 1 || !uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out uint n))
        {
            error = $"'{string.Join(' ', args.ToArray())}': give one group as group_id=N";
            return false;
        }
        id = n;
        return true;
    }

    private ControlReply DumpGroups(ReadOnlySpan<string> args)
    {
        if (!TryGroupId(args, out uint? id, out string? error))
            return ControlReply.Error(error!);
        return ControlReply.Ok(Lines(Bridge.DumpGroups(NamesShown.Ports, id).Select(l => Bridge.FlowDumpIndent + l)));
    }

    private ControlReply DumpGroupStats(ReadOnlySpan<string> args)
    {
        if (!TryGroupId(args, out uint? id, out string? error))
            return ControlReply.Error(error!);
        return ControlReply.Ok(Lines(OfctlReplies.DumpGroupStats(Bridge, live.StatsClock, id).Select(l => Bridge.FlowDumpIndent + l)));
    }

    private ControlReply GroupMod(ReadOnlySpan<string> args, bool modify)
    {
        if (args.Length == 0)
            return ControlReply.Error($"{(modify ? "mod-group" : "add-group")} needs a GROUP (e.g. 'group_id=1,type=select,bucket=output:1,bucket=output:2')");
        string text = string.Join(' ', args.ToArray());
        lock (_modLock)
        {
            if (modify)
                Bridge.ModifyGroup(text, Source);
            else
                Bridge.AddGroup(text, Source);
        }
        return ControlReply.Ok("");
    }

    private ControlReply DelGroups(ReadOnlySpan<string> args)
    {
        if (!TryGroupId(args, out uint? id, out string? error))
            return ControlReply.Error(error!);
        int n;
        lock (_modLock)
            n = Bridge.DeleteGroups(id);
        return ControlReply.Ok($"deleted {n} group(s)\n");
    }

    // ---- meters

    private ControlReply MeterMod(ReadOnlySpan<string> args, bool modify)
    {
        if (args.Length == 0)
            return ControlReply.Error($"{(modify ? "mod-meter" : "add-meter")} needs a METER (e.g. 'meter=256,pktps,bands=type=drop,rate=100')");
        string text = string.Join(' ', args.ToArray());
        long now = live.StatsClock.NowMs;
        lock (_modLock)
        {
            if (modify)
                Bridge.ModifyMeter(text, Source, nowMs: now);
            else
                Bridge.AddMeter(text, Source, nowMs: now);
        }
        return ControlReply.Ok("");
    }

    private ControlReply DelMeters(ReadOnlySpan<string> args)
    {
        uint? id = MeterParser.ParseSelector(string.Join(' ', args.ToArray()), Source);
        int n;
        lock (_modLock)
            n = Bridge.DeleteMeters(id);
        return ControlReply.Ok($"deleted {n} meter(s)\n");
    }

    // ---- ports and conntrack

    private ControlReply DumpPorts(ReadOnlySpan<string> args)
    {
        if (args.Length > 0)
            return ControlReply.Error("dump-ports takes no arguments");
        var sb = new StringBuilder();
        foreach (var line in live.Node is null ? [] : Bridge.DumpPorts(live.Name, NamesShown.Ports))
            sb.Append(line).Append('\n');
        foreach (var b in live.Ports)
        {
            var s = b.Statistics;
            sb.Append(CultureInfo.InvariantCulture,
                $"  live {b.Name} {b.Binding.Describe()}: rx pkts={s.RxPackets}, bytes={s.RxBytes}, drop={s.RxDropped}, truncated={s.RxTruncated}; tx pkts={s.TxPackets}, bytes={s.TxBytes}, drop={s.TxDropped}; errors={s.Errors}; {(b.Fault is { } f ? "FAULT: " + f.Message : "up")}\n");
        }
        return ControlReply.Ok(sb.ToString());
    }

    private static bool TryZone(ReadOnlySpan<string> args, out ushort? zone, out string? error)
    {
        zone = null;
        error = null;
        if (args.Length == 0)
            return true;
        if (args.Length == 1 && args[0].StartsWith("zone=", StringComparison.Ordinal)
            && ushort.TryParse(args[0].AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out ushort z))
        {
            zone = z;
            return true;
        }
        error = $"expected [zone=N] (N from 0 to 65535), got '{string.Join(' ', args.ToArray())}'";
        return false;
    }

    private ControlReply DumpConntrack(ReadOnlySpan<string> args)
    {
        var (host, rest) = TakeFlag(args, "--host");
        if (!TryZone(rest.ToArray(), out var zone, out var error))
            return ControlReply.Error(error!);
        if (host && live.Host is null)
            return ControlReply.Error("this node runs no host stack");
        var ct = host ? live.Host!.Conntrack : live.Bridged.Conntrack;
        return ControlReply.Ok(Lines(ct.Dump(zone, ct.NowMs())));
    }

    /// <summary>`iptables ...` / `iptables-save ...` on the host's live rule set; iptables' own words on a mistake.</summary>
    private ControlReply HostIptables(ReadOnlySpan<string> args, Func<RuleSet, IReadOnlyList<string>, StringBuilder, StringBuilder, int> tool)
    {
        if (live.Host is not { } host)
            return ControlReply.Error("this node runs no host stack");
        var output = new StringBuilder();
        var error = new StringBuilder();
        int code = tool(host.Netfilter?.Rules ?? new RuleSet(), args.ToArray(), output, error);
        return code == 0 ? ControlReply.Ok(output.ToString()) : new ControlReply(ControlReply.StatusBadCommand, error.ToString());
    }

    /// <summary>`iptables [-t T] -A|-I ...`: the rule joins the host's live tables (the engine is rebuilt over them; the
    /// table's counters are kept). Words with blanks are quoted again, as the shell had them.</summary>
    private ControlReply HostIptablesAdd(ReadOnlySpan<string> args)
    {
        if (live.Host is not { } host || host.Netfilter?.Rules is not { } rules)
            return ControlReply.Error("this node runs no host stack with iptables");
        var words = new List<string>();
        foreach (var a in args)
            words.Add(a.Length == 0 || a.Contains(' ', StringComparison.Ordinal) || a.Contains('\t', StringComparison.Ordinal) ? "\"" + a.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : a);
        string command = string.Join(' ', words);
        lock (_modLock)
        {
            IptablesAppend.Add(rules, command, "iptables");
            host.Reseed((ulong)time.GetTimestamp());
        }
        return ControlReply.Ok("");
    }

    /// <summary>
    /// `xtables-monitor --trace`: subscribes to the host's tables and answers, after -W seconds or -c traced packets,
    /// with what xtables-monitor would have printed meanwhile (one subscriber at a time: a second replaces the first).
    /// </summary>
    private ControlReply XtablesMonitorTrace(ReadOnlySpan<string> args)
    {
        double wait = 5;
        int count = int.MaxValue;
        bool trace = false;
        var style = XtablesTraceStyle.Linux515;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "--trace" or "-t")
            {
                trace = true;
            }
            else if (a is "-W" or "-c" or "--kernel")
            {
                if (i + 1 >= args.Length)
                    return ControlReply.Error($"xtables-monitor: {a} needs a value");
                string v = args[++i];
                if (a == "--kernel")
                {
                    if (v is not ("5.15" or "6.18"))
                        return ControlReply.Error($"xtables-monitor: --kernel {v}: 5.15 or 6.18");
                    style = v == "6.18" ? XtablesTraceStyle.Linux618 : XtablesTraceStyle.Linux515;
                }
                else if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || d <= 0
                    || (a == "-W" ? d > 8 : d != Math.Floor(d) || d > 1_000_000))
                {
                    return ControlReply.Error(a == "-W" ? $"xtables-monitor: -W {v}: seconds, more than 0 and at most 8 (the control socket answers within 10 s)" : $"xtables-monitor: -c {v}: a number of packets");
                }
                else if (a == "-W")
                {
                    wait = d;
                }
                else
                {
                    count = (int)d;
                }
            }
            else
            {
                return ControlReply.Error($"xtables-monitor: unknown option '{a}' (--trace [-W SEC] [-c N] [--kernel 5.15|6.18])");
            }
        }
        if (!trace)
            return ControlReply.Error("xtables-monitor: only --trace is implemented (the rule-set events of -e are not)");
        if (live.Host?.Netfilter?.Rules is not { } rules)
            return ControlReply.Error("this node runs no host stack with iptables");
        var text = new StringWriter();
        var monitor = new XtablesMonitor(text, style, (ulong)time.GetTimestamp());
        monitor.Attach(rules, live.Name);
        try
        {
            long until = time.GetTimestamp() + (long)(wait * time.TimestampFrequency);
            while (time.GetTimestamp() < until && monitor.Packets < count)
                Thread.Sleep(20);
            // The N-th packet's first event is in: give its walk (the later hooks) a moment to be reported too.
            if (monitor.Packets >= count)
                Thread.Sleep(200);
        }
        finally
        {
            XtablesMonitor.Detach(rules);
        }
        string written = "";
        monitor.Exclusive(() => written = text.ToString());
        return ControlReply.Ok(written);
    }

    /// <summary>`conntrack -L` (or `--dump`): the host's connections as conntrack-tools prints them (its count line omitted).</summary>
    private ControlReply HostConntrack(ReadOnlySpan<string> args)
    {
        if (args.Length != 1 || args[0] is not ("-L" or "--dump"))
            return ControlReply.Error("conntrack takes -L (list the host's connections)");
        if (live.Host is not { } host)
            return ControlReply.Error("this node runs no host stack");
        return ControlReply.Ok(Lines(host.Conntrack.ListConntrack(host.Conntrack.NowMs())));
    }

    private ControlReply FlushConntrack(ReadOnlySpan<string> args)
    {
        if (!TryZone(args, out var zone, out var error))
            return ControlReply.Error(error!);
        var conntrack = live.Bridged.Conntrack;
        int n = zone is { } z ? conntrack.Flush(z) : conntrack.Flush();
        return ControlReply.Ok($"flushed {n} connection(s)\n");
    }

    // ---- trace

    private ControlReply Trace(ReadOnlySpan<string> args)
    {
        var (json, rest) = TakeFlag(args, "--json");
        if (rest.Count == 0)
            return ControlReply.Error("trace needs a FLOW as ofproto/trace takes it (e.g. 'in_port=frontend-a3ba2f,tcp,nw_src=10.222.1.48,nw_dst=10.222.2.34,tp_dst=80')");
        string text = string.Join(',', rest);
        var node = live.Bridged;
        // A scratch node over the live bridge: the live tables and counters, a fresh conntrack (so,
        // like ofproto/trace, the traced packet is ct_state=new and commits nothing to the live table).
        using var scratch = new Node(node.Name, node.Bridge, node.NodeIp, node.NodeMac, new ConnectionTracker(new ConntrackOptions()))
        {
            UnderlayGateway = node.UnderlayGateway,
            TunnelChecksum = node.TunnelChecksum,
            MaxRecirculations = node.MaxRecirculations,
        };
        foreach (var (ip, mac) in node.Neighbors)
            scratch.AddNeighbor(ip, mac);
        // ofproto/trace's scope: the bridge alone, stopping at its ports.
        using var journey = new Journey(new Cluster([scratch]), [], JourneyScope.Bridge);
        var trace = new Trace();
        journey.RunFlow(journey.Nodes[0], text, null, node.Conntrack.NowMs(), trace);
        return ControlReply.Ok(json ? TraceJsonWriter.Write(trace, indented: true) + "\n" : TraceTextRenderer.Render(trace));
    }

    // ---- stats

    // ---- ping from the node's host

    private ControlReply Ping(ReadOnlySpan<string> args)
    {
        int count = 3;
        double interval = 0.2, wait = 2;
        string? target = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "-c" or "-i" or "-W")
            {
                if (i + 1 >= args.Length || !double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0)
                    return ControlReply.Error($"ping: {a} needs a number");
                i++;
                switch (a)
                {
                    case "-c" when v is >= 1 and <= 100 && v == Math.Floor(v):
                        count = (int)v;
                        break;
                    case "-i" when v <= 5:
                        interval = v;
                        break;
                    case "-W" when v <= 10:
                        wait = v;
                        break;
                    default:
                        return ControlReply.Error($"ping: {a} {args[i]} is out of range (-c 1..100, -i 0..5, -W 0..10)");
                }
            }
            else if (target is null)
                target = a;
            else
                return ControlReply.Error($"ping: unexpected argument '{a}'");
        }
        if (target is null || !Packets.Ipv4Address.TryParse(target, out var ip))
            return ControlReply.Error("ping needs an IPv4 address (ping [-c N] [-i SEC] [-W SEC] IP)");
        var (source, rtts) = live.HostPing(ip, count, TimeSpan.FromSeconds(interval), TimeSpan.FromSeconds(wait));
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"PING {ip} from {source} (host of {live.Name}): 56 data bytes\n");
        int received = 0;
        for (int i = 0; i < rtts.Length; i++)
        {
            if (rtts[i] is { } ms)
            {
                received++;
                sb.Append(CultureInfo.InvariantCulture, $"64 bytes from {ip}: icmp_seq={i + 1} time={ms:F3} ms\n");
            }
        }
        sb.Append(CultureInfo.InvariantCulture, $"--- {ip} ping statistics ---\n{count} packets transmitted, {received} received, {100 * (count - received) / count}% packet loss\n");
        return received > 0 ? ControlReply.Ok(sb.ToString()) : new ControlReply(ControlReply.StatusBadCommand, sb.ToString());
    }

    private ControlReply Stats(ReadOnlySpan<string> args)
    {
        var (json, rest) = TakeFlag(args, "--json");
        if (rest.Count > 0)
            return ControlReply.Error("stats takes only [--json]");
        var c = live.Counters;
        var node = live.Node;
        double uptime = time.GetElapsedTime(_startedAt).TotalSeconds;
        var decap = Enum.GetValues<GeneveDropReason>().Where(r => c.DecapDrops(r) > 0).Select(r => (r, c.DecapDrops(r))).ToList();
        var drops = node is null ? [] : Bridge.Drops.NonZero().ToList();
        long dropsTotal = node is null ? 0 : Bridge.Drops.Total;
        var cache = node?.CacheStats ?? default;
        string nodeIp = node?.NodeIp.ToString()
            ?? live.Host?.Interfaces.FirstOrDefault(i => i.Kind == Engine.Host.HostInterfaceKind.Ethernet && i.HasAddress)?.Address.ToString() ?? "";
        if (json)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("node", live.Name);
                w.WriteString("node_ip", nodeIp);
                w.WriteBoolean("bridge", node is not null);
                w.WriteNumber("uptime_s", Math.Round(uptime, 3));
                w.WriteStartArray("ports");
                foreach (var b in live.Ports)
                {
                    var s = b.Statistics;
                    w.WriteStartObject();
                    w.WriteString("port", b.Name);
                    w.WriteNumber("ofport", b.OfPort);
                    w.WriteString("kind", b.Kind == BoundPortKind.Bridge ? "bridge" : "host-device");
                    w.WriteString("bind", b.Binding.Describe());
                    w.WriteString("interface", b.LivePort.Name);
                    w.WriteNumber("queues", b.Queues.Count);
                    w.WriteStartArray("queue_rx_packets");
                    foreach (var q in b.Queues)
                        w.WriteNumberValue(q.Statistics.RxPackets);
                    w.WriteEndArray();
                    w.WriteNumber("rx_packets", s.RxPackets);
                    w.WriteNumber("rx_bytes", s.RxBytes);
                    w.WriteNumber("rx_dropped", b.RxDropped);
                    w.WriteNumber("rx_truncated", s.RxTruncated);
                    w.WriteNumber("tx_packets", s.TxPackets);
                    w.WriteNumber("tx_bytes", s.TxBytes);
                    w.WriteNumber("tx_dropped", s.TxDropped);
                    w.WriteNumber("errors", s.Errors);
                    w.WriteString("state", b.Fault is null ? "up" : "faulted");
                    if (b.Fault is { } f)
                        w.WriteString("fault", f.Message);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (live.Local is { } local)
                {
                    var ls = local.Statistics;
                    w.WriteStartObject("local");
                    w.WriteString("bind", local.Binding.Describe());
                    w.WriteString("interface", local.LivePort.Name);
                    w.WriteNumber("rx_packets", ls.RxPackets);
                    w.WriteNumber("tx_packets", ls.TxPackets);
                    w.WriteNumber("tx_dropped", ls.TxDropped);
                    w.WriteNumber("delivered", c.LocalDelivered);
                    w.WriteNumber("arp_replies", c.LocalArpReplies);
                    w.WriteNumber("dropped", c.LocalDrops);
                    w.WriteString("state", local.Fault is null ? "up" : "faulted");
                    w.WriteEndObject();
                }
                w.WriteStartObject("underlay");
                w.WriteString("local", live.DescribeUnderlay());
                w.WriteNumber("rx_datagrams", c.UnderlayRx);
                w.WriteNumber("rx_bytes", c.UnderlayRxBytes);
                w.WriteNumber("tx_datagrams", c.UnderlayTx);
                w.WriteNumber("tx_bytes", c.UnderlayTxBytes);
                w.WriteNumber("send_errors", c.UnderlaySendErrors);
                w.WriteNumber("unknown_peer", c.UnderlayUnknownPeer);
                w.WriteNumber("no_peer", c.UnderlayNoPeer);
                w.WriteStartObject("decap_drops");
                foreach (var (r, n) in decap)
                    w.WriteNumber(r.ToString(), n);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteNumber("gateway_unhandled", c.GatewayUnhandled);
                if (live.Host is { } host)
                {
                    w.WriteStartObject("host");
                    w.WriteNumber("forwarded", host.Forwarded);
                    w.WriteNumber("delivered", host.Delivered);
                    w.WriteNumber("transmitted", host.Transmitted);
                    w.WriteNumber("arp_replies", host.ArpReplies);
                    w.WriteNumber("echo_replies", host.EchoReplies);
                    w.WriteNumber("icmp_errors", host.IcmpErrors);
                    w.WriteNumber("uplink_unhandled", c.HostUplink);
                    w.WriteNumber("crossing_limit_drops", live.Journey.HopLimitDrops);
                    w.WriteStartObject("drops");
                    foreach (var (r, n) in host.NonZeroDrops())
                        w.WriteNumber(r.ToString(), n);
                    w.WriteEndObject();
                    w.WriteNumber("conntrack_connections", host.Conntrack.Count);
                    w.WriteEndObject();
                }
                w.WriteNumber("unbound_outputs", c.Unbound);
                w.WriteNumber("port_faults", c.PortFaults);
                w.WriteNumber("handler_failures", c.HandlerFailures);
                w.WriteStartObject("drops");
                foreach (var (t, r, n) in drops)
                    w.WriteNumber(DropReasonNames.Describe(t, r), n);
                w.WriteEndObject();
                w.WriteNumber("drops_total", dropsTotal);
                w.WriteNumber("conntrack_connections", node?.Conntrack.Count ?? 0);
                if (node is not null)
                    cache.WriteJson(w, node.UseFlowCache);
                w.WriteEndObject();
            }
            return ControlReply.Ok(Encoding.UTF8.GetString(ms.ToArray()) + "\n");
        }
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"node {live.Name} ({nodeIp}){(node is null ? ", no bridge (its host is the node)" : "")}: up {uptime:F1} s\n");
        sb.Append("ports:\n");
        foreach (var b in live.Ports)
        {
            var s = b.Statistics;
            sb.Append(inv, $"  {(b.BridgePort is { } bp ? $"{bp.OfPort}({bp.Name})" : b.Name)} {b.Binding.Describe()}{(b.Queues.Count > 1 ? $" ({b.Queues.Count} queues)" : "")}: rx {s.RxPackets} pkts {s.RxBytes} bytes (dropped {b.RxDropped}, truncated {s.RxTruncated}); tx {s.TxPackets} pkts {s.TxBytes} bytes (dropped {s.TxDropped}); errors {s.Errors}; {(b.Fault is { } f ? "FAULT: " + f.Message : "up")}\n");
        }
        if (live.Local is { } lb)
        {
            var ls = lb.Statistics;
            sb.Append(inv, $"local stack {lb.Binding.Describe()}: rx {ls.RxPackets} pkts (sent by the node's processes); tx {ls.TxPackets} pkts (delivered {c.LocalDelivered}, arp replies {c.LocalArpReplies}, dropped {ls.TxDropped}); not IPv4 {c.LocalDrops}; {(lb.Fault is { } lf ? "FAULT: " + lf.Message : "up")}\n");
        }
        if (node is not null)
        {
            sb.Append(node.UseFlowCache
                ? string.Create(inv, $"flow cache: {cache.Hits} hits ({cache.FrontHits} in the exact-match front), {cache.Misses} misses ({cache.HitRate:P1}), {cache.Entries} megaflows, {cache.Flushes} flushes\n")
                : "flow cache: off (run --no-cache)\n");
        }
        sb.Append(inv, $"underlay {live.DescribeUnderlay()}: rx {c.UnderlayRx} datagrams {c.UnderlayRxBytes} bytes; tx {c.UnderlayTx} datagrams {c.UnderlayTxBytes} bytes; send errors {c.UnderlaySendErrors}; unknown peer {c.UnderlayUnknownPeer}; no peer {c.UnderlayNoPeer}");
        foreach (var (r, n) in decap)
            sb.Append(inv, $"; decap {r} {n}");
        sb.Append('\n');
        if (live.Host is { } h)
        {
            sb.Append(inv, $"host stack {(node is null ? "(the node)" : "behind the gateway")}: forwarded {h.Forwarded}, delivered {h.Delivered}, transmitted {h.Transmitted}, arp replies {h.ArpReplies}, echo replies {h.EchoReplies}, icmp errors {h.IcmpErrors}; uplink unhandled {c.HostUplink}; hop-limit drops {live.Journey.HopLimitDrops}; conntrack {h.Conntrack.Count}\n");
            foreach (var (r, n) in h.NonZeroDrops())
                sb.Append(inv, $"  host drop {r}: {n}\n");
        }
        else
            sb.Append(inv, $"gateway: {c.GatewayUnhandled} frames unhandled (no host stack)\n");
        sb.Append(inv, $"unbound outputs: {c.Unbound}\nport faults: {c.PortFaults}\nhandler failures: {c.HandlerFailures}\n");
        sb.Append(inv, $"drops: {dropsTotal}\n");
        foreach (var (t, r, n) in drops)
            sb.Append(inv, $"  {DropReasonNames.Describe(t, r)}: {n}\n");
        if (node is not null)
            sb.Append(inv, $"conntrack: {node.Conntrack.Count} connections\n");
        return ControlReply.Ok(sb.ToString());
    }
}
