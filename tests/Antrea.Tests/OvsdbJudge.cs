using System.Diagnostics;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Open vSwitch's database as the judge of ofports: an ovsdb-server on a database made from the
/// installed vswitch.ovsschema (openvswitch-switch), in a temporary directory, and <c>ovs-vsctl
/// --no-wait add-port br0 P -- set interface P ofport_request=N</c>, which the schema's constraint on
/// ofport_request accepts or refuses. No ovs-vswitchd is needed: the constraint is the database's.
/// The server is this object's own process, stopped on Dispose.
/// </summary>
internal sealed class OvsdbJudge : IDisposable
{
    private const string Schema = "/usr/share/openvswitch/vswitch.ovsschema";
    private readonly string _dir;
    private readonly Process _server;
    private int _ports;

    private OvsdbJudge(string dir, Process server)
    {
        _dir = dir;
        _server = server;
    }

    private static readonly Lazy<string?> s_skip = new(() =>
    {
        using var judge = TryStart(out string? why);
        return why;
    });

    /// <summary>Why the judge cannot run here, or null.</summary>
    public static string? SkipReason => s_skip.Value;

    /// <summary>Starts the server, or returns null with why it cannot run here.</summary>
    public static OvsdbJudge? TryStart(out string? skipReason)
    {
        skipReason = null;
        string dir = Directory.CreateTempSubdirectory("ovsdb").FullName;
        try
        {
            ExternalTools.Require("ovsdb-server", "openvswitch-switch");
            if (!File.Exists(Schema))
                ExternalTools.Require("ovs-vswitchd", "openvswitch-switch");
            ExternalTools.Run("ovsdb-tool", "create", Path.Combine(dir, "conf.db"), Schema);
            var psi = new ProcessStartInfo("ovsdb-server");
            foreach (string a in new[] { Path.Combine(dir, "conf.db"), $"--remote=punix:{dir}/db.sock", $"--unixctl={dir}/ovsdb.ctl", "--no-chdir", "-vconsole:off" })
                psi.ArgumentList.Add(a);
            var server = Process.Start(psi)!;
            var judge = new OvsdbJudge(dir, server);
            var sw = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(dir, "db.sock")) && sw.Elapsed < TimeSpan.FromSeconds(10))
                Thread.Sleep(50);
            judge.Vsctl("init");
            judge.Vsctl("add-br", "br0");
            return judge;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            skipReason = "Open vSwitch's ovsdb-server is not usable here (apt-get install -y openvswitch-switch): " + e.Message;
            Directory.Delete(dir, recursive: true);
            return null;
        }
    }

    /// <summary>Does OVS take <paramref name="ofport"/> as a port's ofport_request?</summary>
    public bool TakesOfPort(string ofport)
    {
        string port = $"p{_ports++}";
        try
        {
            Vsctl("add-port", "br0", port, "--", "set", "interface", port, $"ofport_request={ofport}");
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        Vsctl("del-port", "br0", port);
        return true;
    }

    private void Vsctl(params string[] args)
        => ExternalTools.Run("ovs-vsctl", [$"--db=unix:{_dir}/db.sock", "--no-wait", "--timeout=10", .. args]);

    public void Dispose()
    {
        if (!_server.HasExited)
            _server.Kill();
        _server.WaitForExit();
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
