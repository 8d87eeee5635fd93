namespace Datapath.Antrea.Import;

/// <summary>One port of <c>ovs-ofctl show</c>: <c> 49(frontend-a3ba2f): addr:e6:88:e2:ed:64:82</c>, and the line it was on.</summary>
public sealed record OvsPortDump(uint OfPort, string Name, string Mac, int Line);
