using System.Globalization;
using Datapath.Engine.Tracing;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Engine.Host;

public sealed partial class HostStack
{
    // Trace recording: only called when ctx.Trace is not null.

    private void TraceNetfilter(HostContext ctx)
    {
        var list = ctx.NetfilterTrace;
        if (ctx.Trace is not { } trace || list is null)
            return;
        foreach (var s in list)
        {
            trace.Steps.Add(new TraceStep(Name, HostTrace.Netfilter, 0) { Summary = s.ToString() }
                .Add("hook", HookName(s.Hook))
                .Add("table", s.Table)
                .Add("chain", s.Chain)
                .Add("rule", s.Kind == NetfilterTraceKind.Rule ? s.RuleNumber.ToString(CultureInfo.InvariantCulture) : s.Kind.ToString().ToLowerInvariant())
                .Add("verdict", s.Verdict));
        }
        list.Clear();
    }

    internal static string HookName(NetfilterHook hook) => hook switch
    {
        NetfilterHook.Prerouting => "PREROUTING",
        NetfilterHook.Input => "INPUT",
        NetfilterHook.Forward => "FORWARD",
        NetfilterHook.Output => "OUTPUT",
        _ => "POSTROUTING",
    };

    private void TraceRoute(HostContext ctx, uint dst, RouteEntry? route)
    {
        if (ctx.Trace is not { } trace)
            return;
        string d = new Ipv4Address(dst).ToString();
        var step = new TraceStep(Name, HostTrace.Route, 0)
        {
            Summary = route is null ? $"route {d}: no route (network unreachable)" : $"route {d}: {route}",
        }.Add("destination", d);
        if (route is not null)
        {
            step.Add("route", route.ToString());
            if (route.Device is { } dev)
                step.Add("dev", dev);
            if (route.Gateway != 0)
                step.Add("via", new Ipv4Address(route.Gateway).ToString());
        }
        trace.Steps.Add(step);
    }

    /// <summary>
    /// The route of a locally generated packet, as <c>ip route get DST</c> answers it (<c>10.104.65.133 via 10.79.1.1
    /// dev ens160 src 10.79.1.201</c>); <paramref name="route"/> null is the local table (out on lo). Re-routing
    /// after OUTPUT's DNAT (ip_route_me_harder) says so.
    /// </summary>
    private void TraceLocalOutRoute(HostContext ctx, uint dst, RouteEntry? route, uint src, bool rerouting)
    {
        if (ctx.Trace is not { } trace)
            return;
        string d = new Ipv4Address(dst).ToString();
        string s = new Ipv4Address(src).ToString();
        string dev = route?.Device ?? "lo";
        string get = route is null ? $"local {d} dev lo src {s}"
            : $"{d}{(route.Gateway != 0 ? $" via {new Ipv4Address(route.Gateway)}" : "")} dev {dev} src {s}";
        var step = new TraceStep(Name, HostTrace.Route, 0)
        {
            Summary = rerouting
                ? $"re-route {d} after DNAT (ip_route_me_harder): {route?.ToString() ?? "local (table local)"}; ip route get: {get}"
                : $"route {d} (local out): {route?.ToString() ?? "local (table local)"}; ip route get: {get}",
        }.Add("destination", d).Add("route", route?.ToString() ?? "local " + d).Add("dev", dev).Add("src", s);
        if (route is not null && route.Gateway != 0)
            step.Add("via", new Ipv4Address(route.Gateway).ToString());
        if (rerouting)
            step.Add("reroute", "true");
        trace.Steps.Add(step);
    }

    private void TraceLocalRoute(HostContext ctx, uint dst)
    {
        if (ctx.Trace is not { } trace)
            return;
        string d = new Ipv4Address(dst).ToString();
        trace.Steps.Add(new TraceStep(Name, HostTrace.Route, 0) { Summary = $"route {d}: local (table local)" }
            .Add("destination", d).Add("route", "local " + d));
    }

    private void TraceNeighbor(HostContext ctx, HostInterface dev, uint nextHop, MacAddress? mac, NudState state = NudState.None)
    {
        if (ctx.Trace is not { } trace)
            return;
        string nh = new Ipv4Address(nextHop).ToString();
        string st = NudStates.Name(state);
        var step = new TraceStep(Name, HostTrace.Neighbor, 0)
        {
            Summary = mac is { } m
                ? $"neighbor {nh} dev {dev.Name} lladdr {m} {(state == NudState.Stale ? "STALE -> DELAY" : st)}: send {dev.Mac} > {m} on {dev.Name}"
                : $"neighbor {nh} dev {dev.Name}: no entry",
        }.Add("address", nh).Add("dev", dev.Name);
        if (mac is { } mm)
            step.Add("lladdr", mm.ToString()).Add("state", state == NudState.Stale ? "DELAY" : st);
        trace.Steps.Add(step);
    }

    private void TraceArp(HostContext ctx, HostInterface dev, string summary)
        => ctx.Trace?.Steps.Add(new TraceStep(Name, HostTrace.Neighbor, 0) { Summary = summary }.Add("dev", dev.Name).Add("arp", "true"));

    private void TraceDeliver(HostContext ctx)
        => ctx.Trace?.Steps.Add(new TraceStep(Name, HostTrace.Deliver, 0) { Summary = $"deliver to the host (INPUT accepted){(ctx.Pending.Count > 0 ? ", reply queued" : "")}" }
            .Add("deliver", "local"));

    private void TraceDrop(HostContext ctx, DropReason reason, string detail)
    {
        if (ctx.Trace is not { } trace)
            return;
        string name = DropReasonNames.Name(reason);
        trace.Steps.Add(new TraceStep(Name, HostTrace.Drop, 0) { Summary = $"drop: {name}: {detail}" }.Add("reason", name));
        trace.Drops.Add(new TraceDrop(Name, null, reason));
    }
}
